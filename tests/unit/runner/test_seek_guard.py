"""The post-recovery seek runs with the consumer flow stopped, after in-flight fetches settle."""

from __future__ import annotations

import asyncio

import pytest

from pipeline.runner.seek_guard import guard_recovery_seek, seek_with_flow_stopped


class FakeConsumer:
    """The slice of a Faust consumer the guard uses; records what happened, in order."""

    def __init__(self, flow_active: bool = True) -> None:
        self.flow_active = flow_active
        self.calls: list[str] = []
        self.fail = False

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
