"""Mastodon's streaming API over WebSocket, with a REST backfill so a restart leaves no gap.

Connects to ``{streaming_url or instance}/api/v1/streaming?stream=public|public:local|hashtag
(&tag=TAG)`` with the token as ``Authorization: Bearer`` (public streams need a user token with
``read:statuses`` since Mastodon 4.2). The streaming API cannot resume, so before each connection
a source that has a checkpoint (the newest status id it processed) pages through the matching REST
timeline (``/api/v1/timelines/public`` or ``/tag/TAG``, ``min_id``, at most `backfill_pages`
pages of 40) and replays those statuses as ``update`` messages; the overlap with the stream is
dropped by dedupe key. Messages are normalised by `connectors.live.mastodon_frames`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.base import OversizePolicy
from connectors.live.mastodon_frames import PLATFORM, normalise_streaming
from connectors.live.source import Frame, Normalised, SourceRejected
from connectors.live.transport import client_error, http_failure, session, websocket_messages
from models.records import utc_now

_PAGE = 40


class MastodonOptions(BaseModel):
    """Options of ``narrmon connect mastodon`` and of ``kind: mastodon`` in a connectors file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instance: str
    stream: str = "public"
    token_file: Path | None = None
    streaming_url: str | None = None
    backfill_pages: int = Field(default=10, ge=0, le=100)
    idle_timeout_s: float = Field(default=90.0, gt=0)

    @field_validator("instance", "streaming_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and urlparse(value).scheme not in ("http", "https"):
            raise ValueError("must be an http(s):// URL")
        return value.rstrip("/") if value else value

    @field_validator("stream")
    @classmethod
    def _stream(cls, value: str) -> str:
        if value in ("public", "public:local") or (
            value.startswith("hashtag:") and value.split(":", 1)[1].strip()
        ):
            return value
        raise ValueError("must be public, public:local or hashtag:TAG")


def read_token(path: Path | None) -> str | None:
    """The token in `path` (whitespace stripped). Raises `SourceRejected` when unreadable/empty."""
    if path is None:
        return None
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SourceRejected(f"cannot read the token file {path}: {exc}") from exc
    if not token:
        raise SourceRejected(f"the token file {path} is empty")
    return token


class MastodonSource:
    """A `LiveSource` for one Mastodon stream (checkpoint: ``{"last_id": status id}``)."""

    platform = PLATFORM
    oversize: OversizePolicy = "reject"

    def __init__(
        self,
        options: MastodonOptions,
        *,
        source: str,
        accounts: Sequence[str] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.options = options
        self.source = source
        self.host = urlparse(options.instance).netloc
        self._token = read_token(options.token_file)
        self._clock = clock
        self._last_id: str | None = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def stream_query(self) -> list[tuple[str, str]]:
        kind, _, tag = self.options.stream.partition(":")
        if kind == "hashtag":
            local = tag.startswith("local:")
            return [
                ("stream", "hashtag:local" if local else "hashtag"),
                ("tag", tag.split(":")[-1]),
            ]
        return [("stream", self.options.stream)]

    def timeline(self) -> tuple[str, list[tuple[str, str]]]:
        """The REST timeline matching the stream: (url, query)."""
        kind, _, tag = self.options.stream.partition(":")
        base = f"{self.options.instance}/api/v1/timelines"
        if kind == "hashtag":
            return f"{base}/tag/{tag.split(':')[-1]}", []
        local = [("local", "true")] if self.options.stream == "public:local" else []
        return f"{base}/public", local

    async def stream(self) -> AsyncIterator[Frame]:
        async for frame in self._backfill():
            yield frame
        base = self.options.streaming_url or self.options.instance
        url = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        url += "/api/v1/streaming"
        async for data in websocket_messages(
            url,
            params=self.stream_query(),
            headers=self._headers(),
            idle_timeout_s=self.options.idle_timeout_s,
        ):
            yield Frame(data=data, origin=f"{url}?{self.options.stream}", received_at=self._clock())

    async def _backfill(self) -> AsyncIterator[Frame]:
        cursor = self._last_id
        if cursor is None or not self.options.backfill_pages:
            return
        import aiohttp

        url, query = self.timeline()
        try:
            async for frame in self._pages(url, query, cursor):
                yield frame
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise client_error(exc, url) from exc

    async def _pages(
        self, url: str, query: list[tuple[str, str]], cursor: str
    ) -> AsyncIterator[Frame]:
        async with session(self._headers()) as client:
            for _ in range(self.options.backfill_pages):
                params = [*query, ("min_id", cursor), ("limit", str(_PAGE))]
                async with client.get(url, params=params) as response:
                    if response.status != 200:
                        body = await response.text(errors="replace")
                        raise http_failure(response.status, response.headers, url, body)
                    statuses = await response.json(content_type=None)
                if not isinstance(statuses, list) or not statuses:
                    return
                page = [s for s in statuses if isinstance(s, dict) and "id" in s]
                for status in sorted(page, key=lambda s: _order(str(s["id"]))):
                    message = {"event": "update", "payload": json.dumps(status)}
                    yield Frame(
                        data=json.dumps(message).encode("utf-8"),
                        origin=f"{url}#min_id={cursor}",
                        received_at=self._clock(),
                    )
                cursor = max((str(s["id"]) for s in page), key=_order, default=cursor)
                if len(statuses) < _PAGE:
                    return

    def normalise(self, frame: Frame) -> Normalised:
        return normalise_streaming(
            frame.data, host=self.host, source=self.source, received_at=frame.received_at
        )

    def advance(self, position: Any) -> None:
        if isinstance(position, str) and (
            self._last_id is None or _order(position) > _order(self._last_id)
        ):
            self._last_id = position

    def checkpoint(self) -> dict[str, Any]:
        return {"last_id": self._last_id, "instance": self.options.instance}

    def restore(self, state: Mapping[str, Any]) -> None:
        last = state.get("last_id")
        self._last_id = last if isinstance(last, str) else None


def _order(status_id: str) -> tuple[int, str]:
    """Mastodon ids are numeric strings that grow with time; compare them as numbers."""
    return (len(status_id), status_id) if status_id.isdigit() else (0, status_id)
