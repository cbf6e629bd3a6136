"""Bluesky through Jetstream: ``/subscribe`` over WebSocket, JSON frames, cursor in unix µs.

Query: ``wantedCollections`` (default ``app.bsky.feed.post``), ``wantedDids`` (accounts given as
DIDs are pushed to the server; handles are filtered locally) and, when resuming, ``cursor`` =
the last processed ``time_us`` minus `rewind_s` seconds. The cursor is valid across Jetstream
instances; the overlap after a reconnect is dropped by dedupe key, and after a restart by the
stable post ids. Frames are normalised by `connectors.live.bluesky_frames`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import OversizePolicy
from connectors.live.bluesky_frames import PLATFORM, POST_COLLECTION, normalise_jetstream
from connectors.live.source import Frame, Normalised
from connectors.live.transport import websocket_messages
from models.records import utc_now

DEFAULT_ENDPOINT = "wss://jetstream2.us-east.bsky.network/subscribe"
_TIME_US = re.compile(rb'"time_us"\s*:\s*(\d+)')


class BlueskyOptions(BaseModel):
    """Options of ``narrmon connect bluesky`` and of ``type: bluesky`` in a connectors file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str = DEFAULT_ENDPOINT
    collections: tuple[str, ...] = (POST_COLLECTION,)
    dids: tuple[str, ...] = ()
    rewind_s: float = Field(default=5.0, ge=0, le=3600)
    idle_timeout_s: float = Field(default=60.0, gt=0)


class JetstreamSource:
    """A `LiveSource` for one Jetstream subscription (checkpoint: ``{"cursor": time_us}``)."""

    platform = PLATFORM
    oversize: OversizePolicy = "reject"

    def __init__(
        self,
        options: BlueskyOptions,
        *,
        source: str,
        accounts: Sequence[str] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.options = options
        self.source = source
        dids = [*options.dids, *(a for a in accounts if a.startswith("did:"))]
        self.dids = tuple(dict.fromkeys(dids))
        self._clock = clock
        self._cursor: int | None = None

    def query(self) -> list[tuple[str, str]]:
        """The ``/subscribe`` query for the next connection."""
        params = [("wantedCollections", c) for c in self.options.collections]
        params += [("wantedDids", did) for did in self.dids]
        if self._cursor is not None:
            rewound = self._cursor - int(self.options.rewind_s * 1_000_000)
            params.append(("cursor", str(max(rewound, 0))))
        return params

    async def stream(self) -> AsyncIterator[Frame]:
        messages = websocket_messages(
            self.options.endpoint,
            params=self.query(),
            idle_timeout_s=self.options.idle_timeout_s,
        )
        count = 0
        async for data in messages:
            count += 1
            found = _TIME_US.search(data[:512])
            position = f"time_us={found.group(1).decode()}" if found else f"frame {count}"
            origin = f"{self.options.endpoint}#{position}"
            yield Frame(data=data, origin=origin, received_at=self._clock())

    def normalise(self, frame: Frame) -> Normalised:
        return normalise_jetstream(frame.data, source=self.source, received_at=frame.received_at)

    def advance(self, position: Any) -> None:
        if isinstance(position, int) and (self._cursor is None or position > self._cursor):
            self._cursor = position

    def checkpoint(self) -> dict[str, Any]:
        return {"cursor": self._cursor, "endpoint": self.options.endpoint}

    def restore(self, state: Mapping[str, Any]) -> None:
        cursor = state.get("cursor")
        self._cursor = cursor if isinstance(cursor, int) else None
