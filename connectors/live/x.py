"""X (Twitter) API v2 filtered stream: rules synced from a file, then one streaming GET.

Before the first connection the stream's rules are made equal to the rules file
(``GET /2/tweets/search/stream/rules``, then ``POST`` with ``delete`` for rules not in the file
and ``add`` for missing ones; X's refusal of a rule ends the run). The stream
(``GET /2/tweets/search/stream`` with author and referenced-tweet expansions) sends one JSON
object per line and a blank keep-alive line about every 20 s: 30 s of silence counts as a drop.
Reconnects follow X's documented backoff: network errors linearly from 250 ms up to 16 s, HTTP
errors exponentially from 5 s up to 320 s, 429 exponentially from 1 minute (or until
``x-rate-limit-reset``). After a restart, ``backfill_minutes`` (X Pro/Enterprise only, at most
5) asks X to replay what was missed; the overlap is dropped by tweet id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import OversizePolicy
from connectors.live.backoff import BackoffPolicy
from connectors.live.mastodon import read_token
from connectors.live.source import Frame, Normalised, SourceRejected
from connectors.live.transport import client_error, http_failure, http_lines, session
from connectors.live.x_frames import (
    PLATFORM,
    STREAM_QUERY,
    normalise_line,
    read_rules_file,
    rules_diff,
)
from models.records import utc_now

X_BACKOFF = {
    "network": BackoffPolicy(initial_s=0.25, max_s=16.0, growth="linear", jitter=0.2),
    "http": BackoffPolicy(initial_s=5.0, max_s=320.0, jitter=0.2),
    "rate": BackoffPolicy(initial_s=60.0, max_s=960.0, jitter=0.2),
}


class XOptions(BaseModel):
    """Options of ``narrmon connect x`` and of ``kind: x`` in a connectors file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bearer_token_file: Path
    rules_file: Path
    api_base: str = "https://api.x.com"
    backfill_minutes: int = Field(default=0, ge=0, le=5)
    idle_timeout_s: float = Field(default=30.0, gt=0)


class XSource:
    """A `LiveSource` for the filtered stream (checkpoint: ``{"last_id": tweet id}``)."""

    platform = PLATFORM
    oversize: OversizePolicy = "reject"
    backoff_policies = X_BACKOFF

    def __init__(
        self,
        options: XOptions,
        *,
        source: str,
        accounts: Sequence[str] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.options = options
        self.source = source
        self.base = options.api_base.rstrip("/")
        token = read_token(options.bearer_token_file)
        self._headers = {"Authorization": f"Bearer {token}"}
        self.rules = read_rules_file(options.rules_file)
        self._clock = clock
        self._last_id: str | None = None
        self._synced = False

    async def sync_rules(self) -> tuple[int, int]:
        """Make the stream's rules equal the file's; (added, deleted). Raises source errors."""
        import aiohttp

        url = f"{self.base}/2/tweets/search/stream/rules"
        try:
            async with session(self._headers) as client:
                current = await _json(client, "GET", url)
                add, delete = rules_diff(self.rules, current.get("data") or [])
                if delete:
                    await _json(client, "POST", url, {"delete": {"ids": delete}})
                if add:
                    body = {"add": [{"value": v, **({"tag": t} if t else {})} for v, t in add]}
                    answer = await _json(client, "POST", url, body)
                    invalid = (answer.get("meta") or {}).get("summary", {}).get("invalid", 0)
                    if invalid or (answer.get("errors") and not answer.get("data")):
                        raise SourceRejected(f"X refused rules: {answer.get('errors')}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise client_error(exc, url) from exc
        return len(add), len(delete)

    async def stream(self) -> AsyncIterator[Frame]:
        if not self._synced:
            await self.sync_rules()
            self._synced = True
        url = f"{self.base}/2/tweets/search/stream"
        params = dict(STREAM_QUERY)
        if self._last_id is not None and self.options.backfill_minutes:
            params["backfill_minutes"] = str(self.options.backfill_minutes)
        async for line in http_lines(
            url, params=params, headers=self._headers, idle_timeout_s=self.options.idle_timeout_s
        ):
            if not line.strip():
                continue  # keep-alive
            yield Frame(data=line, origin=url, received_at=self._clock())

    def normalise(self, frame: Frame) -> Normalised:
        return normalise_line(frame.data, source=self.source, received_at=frame.received_at)

    def advance(self, position: Any) -> None:
        if isinstance(position, str) and (
            self._last_id is None or (len(position), position) > (len(self._last_id), self._last_id)
        ):
            self._last_id = position

    def checkpoint(self) -> dict[str, Any]:
        return {"last_id": self._last_id}

    def restore(self, state: Mapping[str, Any]) -> None:
        last = state.get("last_id")
        self._last_id = last if isinstance(last, str) else None


async def _json(client: Any, method: str, url: str, body: Any = None) -> dict[str, Any]:
    async with client.request(method, url, json=body) as response:
        if response.status not in (200, 201):
            text = await response.text(errors="replace")
            raise http_failure(response.status, response.headers, url, text)
        answer = await response.json(content_type=None)
    return answer if isinstance(answer, dict) else {}
