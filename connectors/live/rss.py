"""RSS and Atom feeds, polled with conditional GETs and read with feedparser.

Each feed is fetched every `interval_s` seconds (a feeds file may give a feed its own interval:
``URL [SECONDS]`` per line, ``#`` comments), with ``If-None-Match`` / ``If-Modified-Since`` from
the last answer, so an unchanged feed costs a 304. New items (guid, else link, not seen before:
the seen keys are part of the checkpoint, so a restart does not republish) become article posts
(`connectors.live.rss_frames`), oldest first; the ETag/Last-Modified of a fetch is checkpointed
only after all its items were delivered. A 429 delays that feed by its Retry-After; other
failures back off per feed (doubling up to an hour) without stopping the other feeds. A body
that is not a feed is dead-lettered (its first 256 KiB). ``once``: fetch every feed once, then end.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.base import OversizePolicy
from connectors.live.rss_frames import PLATFORM, FeedError, encode_item, normalise_item, parse_feed
from connectors.live.source import Frame, Normalised, SourceRejected
from connectors.live.transport import reset_seconds, session
from models.errors import InvalidRecord
from models.records import utc_now

if TYPE_CHECKING:
    import aiohttp

logger = logging.getLogger(__name__)

_DEAD_LETTER_BYTES = 256 * 1024
_MAX_FAILURE_DELAY_S = 3600.0


class RssOptions(BaseModel):
    """Options of ``narrmon connect rss`` and of ``kind: rss`` in a connectors file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    feeds: tuple[str, ...] = ()
    feeds_file: Path | None = None
    interval_s: float = Field(default=300.0, ge=0.05)
    once: bool = False
    max_seen: int = Field(default=5_000, ge=10)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    timeout_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _some_feed(self) -> RssOptions:
        if not self.feeds and self.feeds_file is None:
            raise ValueError("give at least one feed URL or a feeds file")
        for url in self.feeds:
            if urlparse(url).scheme not in ("http", "https"):
                raise ValueError(f"feed {url!r} is not an http(s):// URL")
        return self


def read_feeds_file(path: Path, default_interval_s: float) -> dict[str, float]:
    """``{url: interval_s}`` from a feeds file. Raises `SourceRejected` naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceRejected(f"cannot read the feeds file {path}: {exc}") from exc
    feeds: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        interval = default_interval_s
        if urlparse(words[0]).scheme not in ("http", "https") or len(words) > 2:
            raise SourceRejected(f"{path}:{number}: expected 'URL [SECONDS]', got {line.strip()!r}")
        if len(words) == 2:
            try:
                interval = float(words[1])
            except ValueError:
                interval = -1
            if interval < 0.05:
                raise SourceRejected(f"{path}:{number}: interval must be a number >= 0.05")
        feeds[words[0]] = interval
    return feeds


class _FeedState:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.etag: str | None = None
        self.modified: str | None = None
        self.seen: dict[str, None] = {}
        self.next_due = 0.0
        self.failures = 0
        self.fetched = False


class RssSource:
    """A `LiveSource` polling feeds (checkpoint: per feed ETag, Last-Modified, seen keys)."""

    platform = PLATFORM
    oversize: OversizePolicy = "split"

    def __init__(
        self,
        options: RssOptions,
        *,
        source: str,
        accounts: Sequence[str] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.options = options
        self.source = source
        self._clock = clock
        feeds = dict.fromkeys(options.feeds, options.interval_s)
        if options.feeds_file is not None:
            feeds.update(read_feeds_file(options.feeds_file, options.interval_s))
        self.feeds = {url: _FeedState(interval) for url, interval in feeds.items()}

    async def stream(self) -> AsyncIterator[Frame]:
        headers = {"User-Agent": "narrmon-rss (+https://github.com/narrmon)"}
        async with session(headers, connect_timeout_s=self.options.timeout_s) as client:
            while True:
                now = time.monotonic()
                for url, state in self.feeds.items():
                    if state.next_due <= now and not (self.options.once and state.fetched):
                        async for frame in self._fetch(client, url, state):
                            yield frame
                pending = [s for s in self.feeds.values() if not (self.options.once and s.fetched)]
                if not pending:
                    return
                wait = min(s.next_due for s in pending) - time.monotonic()
                await asyncio.sleep(max(wait, 0.05))

    async def _fetch(
        self, client: aiohttp.ClientSession, url: str, state: _FeedState
    ) -> AsyncIterator[Frame]:
        import aiohttp

        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.modified:
            headers["If-Modified-Since"] = state.modified
        started = time.monotonic()
        try:
            timeout = aiohttp.ClientTimeout(total=self.options.timeout_s)
            async with client.get(url, headers=headers, timeout=timeout) as response:
                status, answer = response.status, response.headers
                body = (
                    await _read_capped(response, self.options.max_body_bytes)
                    if status == 200
                    else b""
                )
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self._failed(url, state, started, f"{type(exc).__name__}: {exc}")
            return
        if status == 304:
            self._done(state, started)
            return
        if status == 429:
            retry = reset_seconds(answer)  # not `fetched`: even with `once` it is tried again
            state.next_due = time.monotonic() + (retry if retry is not None else state.interval_s)
            logger.warning("feed %s: 429, next fetch in %.1fs", url, state.next_due - started)
            return
        if status != 200:
            self._failed(url, state, started, f"HTTP {status}")
            return
        self._done(state, started)
        try:
            items = await asyncio.to_thread(parse_feed, body, url)
        except FeedError as exc:
            items = []
            yield Frame(
                data=body[:_DEAD_LETTER_BYTES],
                origin=url,
                received_at=self._clock(),
                context={"error": str(exc)},
            )
        keyless: list[str] = []
        for item in items:
            data = encode_item(item)
            key = item["guid"] or "sha256:" + hashlib.sha256(data).hexdigest()
            if key in state.seen:
                continue
            if not item["guid"]:
                keyless.append(key)
            yield Frame(data=data, origin=f"{url}#{key}", received_at=self._clock())
        # Saved once everything above is delivered: an unchanged feed (a broken body included)
        # is neither republished nor dead-lettered again, nor is an item without guid or link.
        marker = {
            "feed": url,
            "etag": answer.get("ETag"),
            "modified": answer.get("Last-Modified"),
            "keys": keyless,
        }
        yield Frame(data=b"", origin=url, received_at=self._clock(), context=marker, kind="marker")

    def _done(self, state: _FeedState, started: float) -> None:
        state.fetched = True
        state.failures = 0
        state.next_due = started + state.interval_s

    def _failed(self, url: str, state: _FeedState, started: float, detail: str) -> None:
        state.fetched = True
        state.failures += 1
        delay = min(state.interval_s * 2 ** (state.failures - 1), _MAX_FAILURE_DELAY_S)
        state.next_due = started + max(delay, state.interval_s)
        logger.warning("feed %s failed (%s); next fetch in %.1fs", url, detail, delay)

    def normalise(self, frame: Frame) -> Normalised:
        if frame.kind == "marker":
            return Normalised(position=dict(frame.context))
        if "error" in frame.context:
            raise InvalidRecord("schema_error", str(frame.context["error"]))
        return normalise_item(frame.data, source=self.source, received_at=frame.received_at)

    def advance(self, position: Any) -> None:
        if not isinstance(position, Mapping):
            return
        state = self.feeds.get(str(position.get("feed")))
        if state is None:
            return
        if "guid" in position:
            state.seen[str(position["guid"])] = None
        else:
            state.etag = position.get("etag")
            state.modified = position.get("modified")
            state.seen.update(dict.fromkeys(str(k) for k in position.get("keys") or []))
        while len(state.seen) > self.options.max_seen:
            state.seen.pop(next(iter(state.seen)))

    def checkpoint(self) -> dict[str, Any]:
        return {
            "feeds": {
                url: {"etag": s.etag, "modified": s.modified, "seen": list(s.seen)}
                for url, s in self.feeds.items()
            }
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        saved = state.get("feeds")
        if not isinstance(saved, Mapping):
            return
        for url, feed in saved.items():
            current = self.feeds.get(url)
            if current is None or not isinstance(feed, Mapping):
                continue
            current.etag = feed.get("etag")
            current.modified = feed.get("modified")
            current.seen = dict.fromkeys(str(k) for k in feed.get("seen") or [])


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise ValueError(f"the feed is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
