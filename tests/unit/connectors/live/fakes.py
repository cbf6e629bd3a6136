"""An in-memory live source and sink for the runner's logic (the real ones are tested against a
local protocol server and the real Kafka in tests/integration)."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import OversizePolicy
from connectors.live.frames import decode_object
from connectors.live.source import Frame, Normalised
from connectors.publisher import DeliveryStats
from models.dead_letters import DeadLetter
from models.post_events import PostDeleted
from models.records import Post

NOW = datetime(2024, 11, 6, tzinfo=UTC)


def frame(seq: int, text: str | None = "hello", **extra: Any) -> bytes:
    body: dict[str, Any] = {"seq": seq, **extra}
    if text is not None:
        body["text"] = text
    return json.dumps(body).encode()


class ScriptedSource:
    """Each `stream()` call plays the next connection: frames (bytes) then an optional exception
    (raised after them). A connection without an exception then waits forever, or ends the
    source when `finite`."""

    platform = "test"
    oversize: OversizePolicy = "reject"

    def __init__(self, connections: list[list[bytes | Exception]], finite: bool = False) -> None:
        self.source = "scripted"
        self.connections = list(connections)
        self.finite = finite
        self.position: int | None = None
        self.resumed_from: list[int | None] = []

    async def stream(self) -> AsyncIterator[Frame]:
        import asyncio

        self.resumed_from.append(self.position)
        if not self.connections:
            if self.finite:
                return
            await asyncio.Event().wait()
        for item in self.connections.pop(0):
            if isinstance(item, Exception):
                raise item
            yield Frame(data=item, origin=f"scripted#{len(self.resumed_from)}", received_at=NOW)
        if not self.finite:
            await asyncio.Event().wait()

    def normalise(self, frame: Frame) -> Normalised:
        body = decode_object(frame.data)
        seq = int(body["seq"])
        if body.get("delete"):
            event = PostDeleted(
                post_id=f"test:{seq}", platform="test", source=self.source, deleted_at=NOW
            )
            return Normalised((event,), seq, f"del{seq}", NOW)
        post = Post(
            id=f"test:{seq}",
            platform="test",
            source=self.source,
            text=body.get("text") or "",
            created_at=NOW,
            language=body.get("lang"),
        )
        return Normalised((post,), seq, f"{seq}", NOW)

    def advance(self, position: Any) -> None:
        self.position = position

    def checkpoint(self) -> dict[str, Any]:
        return {"position": self.position}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.position = state["position"]


class MemorySink:
    """Collects what would be published; `fail_posts` makes post deliveries fail on flush."""

    def __init__(self, fail_posts: bool = False) -> None:
        self.stats = DeliveryStats()
        self.posts: list[Post] = []
        self.letters: list[DeadLetter] = []
        self.events: list[tuple[str, str, bytes]] = []
        self.pending = 0
        self.fail_posts = fail_posts
        self.flushes = 0
        self.lock = threading.Lock()

    def publish_post(self, post: Post) -> None:
        self.posts.append(post)
        self.pending += 1

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        self.letters.append(letter)

    def publish_event(self, topic: str, key: str, value: bytes) -> None:
        self.events.append((topic, key, value))

    def flush(self, timeout_s: float | None = None) -> None:
        self.flushes += 1
        with self.stats._lock:
            if self.fail_posts:
                self.stats.posts_failed += self.pending
            else:
                self.stats.posts_acked += self.pending
        self.pending = 0
