"""Fakes of the slice of Faust the batch runner uses: a stream, events, a topic, the app.

These stand in only where the test is about our logic (ordering of deliveries and acks, retries,
dead letters); the real stream is exercised by the worker integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FakeMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None


@dataclass(frozen=True)
class FakeEvent:
    value: bytes
    message: FakeMessage


def events(topic: str, values: Sequence[bytes], *, partition: int = 0) -> list[FakeEvent]:
    return [
        FakeEvent(v, FakeMessage(topic, partition, offset, f"k{offset}".encode()))
        for offset, v in enumerate(values)
    ]


@dataclass
class FakeStream:
    """Yields the given batches from ``noack_take``; records acks (and what was delivered by
    then, through `journal`)."""

    batches: list[list[FakeEvent]]
    journal: list[str] = field(default_factory=list)

    async def noack_take(self, max_: int, within: float) -> AsyncIterator[list[FakeEvent]]:
        for batch in self.batches:
            assert len(batch) <= max_
            yield batch

    async def ack(self, event: FakeEvent) -> bool:
        self.journal.append(f"ack {event.message.offset}")
        return True


@dataclass
class FakeTopic:
    """``send`` returns a delivery future, resolved at once unless ``hold`` (then by `deliver`)."""

    name: str
    journal: list[str]
    hold: bool = False
    sent: list[tuple[bytes | None, bytes]] = field(default_factory=list)
    pending: list[asyncio.Future[Any]] = field(default_factory=list)

    async def send(self, *, key: bytes | None, value: bytes) -> asyncio.Future[Any]:
        self.sent.append((key, value))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.hold:
            self.pending.append(future)
        else:
            self._deliver(future)
        return future

    def deliver(self) -> None:
        for future in self.pending:
            self._deliver(future)
        self.pending.clear()

    def _deliver(self, future: asyncio.Future[Any]) -> None:
        self.journal.append(f"delivered {self.name}")
        future.set_result(None)


@dataclass
class FakeApp:
    crashed: list[BaseException] = field(default_factory=list)

    async def crash(self, exc: BaseException) -> None:
        self.crashed.append(exc)
