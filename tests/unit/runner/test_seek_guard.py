"""The post-recovery seek runs with the consumer flow stopped, after in-flight fetches settle."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import NamedTuple

import pytest

from pipeline.runner.seek_guard import guard_recovery_seek, seek_with_flow_stopped


class TP(NamedTuple):
    topic: str
    partition: int


class FakeThread:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    async def seek_to_beginning(self, *partitions: TP) -> None:
        self.calls.append("beginning " + " ".join(f"{t}[{p}]" for t, p in partitions))


class FakeConsumer:
    """The slice of a Faust consumer the guard uses; records what happened, in order."""

    def __init__(self, flow_active: bool = True, reset: str = "earliest") -> None:
        self.flow_active = flow_active
        self.calls: list[str] = []
        self.fail = False
        self.app = SimpleNamespace(
            conf=SimpleNamespace(consumer_auto_offset_reset=reset),
            topics=SimpleNamespace(acking_topics={"posts", "hits"}),
        )
        self._thread = FakeThread(self.calls)
        self.committed: dict[TP, int | None] = {}

    async def seek_to_committed(self) -> dict[TP, int | None]:
        self.calls.append("seek_to_committed")
        return self.committed

    def stop_flow(self) -> None:
        self.flow_active = False
        self.calls.append("stop_flow")

    def resume_flow(self) -> None:
        self.flow_active = True
        self.calls.append("resume_flow")

    async def perform_seek(self) -> None:
        self.calls.append(f"seek(flow_active={self.flow_active})")
        if self.fail:
            raise RuntimeError("broker gone")


def test_seek_happens_with_the_flow_stopped_after_the_settle_time() -> None:
    consumer = FakeConsumer()
    guard_recovery_seek(consumer, settle_s=0.05)

    async def scenario() -> list[str]:
        task = asyncio.create_task(consumer.perform_seek())
        await asyncio.sleep(0.01)
        during_settle = list(consumer.calls)  # stopped, not yet seeking
        await task
        return during_settle

    assert asyncio.run(scenario()) == ["stop_flow"]
    assert consumer.calls == ["stop_flow", "seek(flow_active=False)", "resume_flow"]
    assert consumer.flow_active


def test_an_already_stopped_flow_is_seeked_at_once_and_left_stopped() -> None:
    consumer = FakeConsumer(flow_active=False)
    asyncio.run(seek_with_flow_stopped(consumer, consumer.perform_seek, settle_s=10.0))
    assert consumer.calls == ["seek(flow_active=False)"]
    assert not consumer.flow_active


def test_the_flow_is_restored_when_the_seek_fails() -> None:
    consumer = FakeConsumer()
    consumer.fail = True
    with pytest.raises(RuntimeError):
        asyncio.run(seek_with_flow_stopped(consumer, consumer.perform_seek, settle_s=0.0))
    assert consumer.calls[-1] == "resume_flow" and consumer.flow_active


def test_guarding_twice_wraps_once() -> None:
    consumer = FakeConsumer()
    guard_recovery_seek(consumer, settle_s=0.0)
    guard_recovery_seek(consumer, settle_s=0.0)
    asyncio.run(consumer.perform_seek())
    assert consumer.calls == ["stop_flow", "seek(flow_active=False)", "resume_flow"]


def test_uncommitted_stream_partitions_are_rewound_to_their_beginning() -> None:
    consumer = FakeConsumer()
    consumer.committed = {
        TP("posts", 0): None,  # never committed
        TP("posts", 1): 0,  # committed at the start
        TP("posts", 2): 7,  # aiokafka seeks it to 7 itself
        TP("app-table-changelog", 0): None,  # not a stream topic: the tables recover it
    }
    guard_recovery_seek(consumer, settle_s=0.0)
    assert asyncio.run(consumer.seek_to_committed()) == consumer.committed
    assert consumer.calls == ["seek_to_committed", "beginning posts[0] posts[1]"]


def test_nothing_is_rewound_when_every_partition_has_a_commit_or_resets_to_latest() -> None:
    consumer = FakeConsumer()
    consumer.committed = {TP("posts", 0): 3}
    guard_recovery_seek(consumer, settle_s=0.0)
    asyncio.run(consumer.seek_to_committed())
    assert consumer.calls == ["seek_to_committed"]
    latest = FakeConsumer(reset="latest")
    latest.committed = {TP("posts", 0): None}
    guard_recovery_seek(latest, settle_s=0.0)
    asyncio.run(latest.seek_to_committed())
    assert latest.calls == ["seek_to_committed"]
