"""The watchdog against a fake Faust consumer whose aiokafka consumer lives on its own thread
loop (as Faust's does): a stall is kicked on that loop, counted, and after `stall_nudges` kicks
without progress the process exits with 75; progress in between resets the count."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from prometheus_client import CollectorRegistry

from pipeline.metrics import Metrics
from pipeline.settings import Settings
from pipeline.stall.nudge import describe
from pipeline.stall.watchdog import EXIT_CODE, ConsumerWatchdog, consumer_snapshot


class TP(NamedTuple):
    topic: str
    partition: int


class FakeCoordinator:
    def __init__(self) -> None:
        self.coordinator_id: int | None = None
        self.generation = 3
        self._coordinator_lookup_lock = asyncio.Lock()
        self._coordination_task: Any = None
        self._heartbeat_task: Any = None
        self.calls: list[tuple[str, str]] = []

    def coordinator_dead(self) -> None:
        self.calls.append(("coordinator_dead", threading.current_thread().name))

    def request_rejoin(self) -> None:
        self.calls.append(("request_rejoin", threading.current_thread().name))


class FakeClient:
    def __init__(self, sync_task: Any) -> None:
        self._sync_task = sync_task
        self.refreshes = 0
        self.restarted = 0

    async def _md_synchronizer(self) -> None:
        self.restarted += 1

    def force_metadata_update(self) -> None:
        self.refreshes += 1


class FakeAio:
    def __init__(self, sync_task: Any) -> None:
        self._client = FakeClient(sync_task)
        self._coordinator = FakeCoordinator()
        self._fetcher = None


class FakeThread:
    def __init__(self, loop: asyncio.AbstractEventLoop, aio: FakeAio) -> None:
        self.thread_loop = loop
        self._consumer = aio


class FakeFaustConsumer:
    def __init__(self, thread: FakeThread, owned: list[TP]) -> None:
        self._thread = thread
        self._owned = owned
        self._active_partitions = set(owned)
        self._read_offset: dict[TP, int | None] = {tp: 4 for tp in owned}
        self._committed_offset: dict[TP, int | None] = {tp: 5 for tp in owned}
        self._buffered_partitions: set[TP] = set()
        self._unacked_messages: set[object] = set()
        self.flow_active = True

    def assignment(self) -> set[TP]:
        return set(self._owned)


class FakeLogEnds:
    def __init__(self) -> None:
        self.ends: dict[tuple[str, int], int] | None = {}

    async def read(self, tps: Any) -> dict[tuple[str, int], int] | None:
        return None if self.ends is None else {tp: self.ends[tp] for tp in tps}

    def close(self) -> None:
        pass


@pytest.fixture
def thread_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="consumer-thread", daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def setup(
    tmp_path: Path, loop: asyncio.AbstractEventLoop, sync_task: Any = None
) -> tuple[ConsumerWatchdog, FakeFaustConsumer, FakeLogEnds, Clock, list[int], Metrics]:
    settings = Settings(state_dir=tmp_path)
    settings = settings.model_copy(
        update={"worker": settings.worker.model_copy(update={"stall_s": 30.0, "stall_nudges": 2})}
    )
    metrics = Metrics(CollectorRegistry())
    ends, clock, exits = FakeLogEnds(), Clock(), []
    consumer = FakeFaustConsumer(FakeThread(loop, FakeAio(sync_task)), [TP("posts", 0)])
    ends.ends = {("posts", 0): 50}
    watchdog = ConsumerWatchdog(
        settings, metrics, frozenset({"posts"}), log_ends=ends, exit=exits.append, clock=clock
    )
    return watchdog, consumer, ends, clock, exits, metrics


def stalls(metrics: Metrics, action: str) -> float | None:
    return metrics.registry.get_sample_value("narrmon_consumer_stalls_total", {"action": action})


def run_checks(watchdog: ConsumerWatchdog, consumer: Any, clock: Clock, until: float) -> None:
    async def go() -> None:
        while clock.now < until:
            clock.now += 5
            await watchdog.check(consumer)

    asyncio.run(go())


def test_a_stall_is_kicked_on_the_consumer_thread_then_the_worker_exits(
    tmp_path: Path, thread_loop: asyncio.AbstractEventLoop
) -> None:
    watchdog, consumer, _ends, clock, exits, metrics = setup(tmp_path, thread_loop)
    assert stalls(metrics, "nudged") == 0.0 and stalls(metrics, "exited") == 0.0
    run_checks(watchdog, consumer, clock, until=30)
    assert stalls(metrics, "nudged") == 0.0  # 25 s without progress: not yet
    run_checks(watchdog, consumer, clock, until=40)
    assert stalls(metrics, "nudged") == 1.0 and exits == []
    aio = consumer._thread._consumer
    assert aio._coordinator.calls == [
        ("coordinator_dead", "consumer-thread"),
        ("request_rejoin", "consumer-thread"),
    ]
    assert aio._client.refreshes == 1
    run_checks(watchdog, consumer, clock, until=200)
    assert stalls(metrics, "nudged") == 2.0
    assert exits == [EXIT_CODE] and stalls(metrics, "exited") == 1.0


def test_progress_after_a_kick_resets_the_count(
    tmp_path: Path, thread_loop: asyncio.AbstractEventLoop
) -> None:
    watchdog, consumer, ends, clock, exits, metrics = setup(tmp_path, thread_loop)
    for _ in range(5):  # five stalls, each ended by progress after its kick
        run_checks(watchdog, consumer, clock, until=clock.now + 45)
        consumer._read_offset[TP("posts", 0)] = int(clock.now)  # it read further
        ends.ends = {("posts", 0): int(clock.now) + 20}  # and more records arrived
        run_checks(watchdog, consumer, clock, until=clock.now + 5)
    assert stalls(metrics, "nudged") == 5.0
    assert exits == [] and watchdog.nudges == 0


def test_back_pressure_paused_partitions_and_a_silent_broker_are_left_alone(
    tmp_path: Path, thread_loop: asyncio.AbstractEventLoop
) -> None:
    watchdog, consumer, ends, clock, exits, metrics = setup(tmp_path, thread_loop)
    consumer._buffered_partitions = {TP("posts", 0)}
    run_checks(watchdog, consumer, clock, until=300)
    consumer._buffered_partitions = set()
    consumer._active_partitions = set()  # paused (table recovery), flow running
    run_checks(watchdog, consumer, clock, until=600)
    consumer._active_partitions = {TP("posts", 0)}
    consumer.flow_active = False  # a rebalance waiting for records still being processed
    consumer._unacked_messages = {object()}
    run_checks(watchdog, consumer, clock, until=900)
    consumer.flow_active = True
    ends.ends = None  # the broker does not answer
    run_checks(watchdog, consumer, clock, until=1200)
    assert stalls(metrics, "nudged") == 0.0 and exits == []


def test_a_flow_that_never_resumes_is_a_stall(tmp_path: Path) -> None:
    consumer = FakeFaustConsumer(FakeThread(asyncio.new_event_loop(), FakeAio(None)), [])
    consumer._owned = [TP("posts", 0), TP("hits", 1)]
    consumer._active_partitions = set()
    consumer._read_offset = {TP("posts", 0): 4}
    consumer._committed_offset = {TP("posts", 0): 5}
    consumer.flow_active = False
    snapshot = consumer_snapshot(consumer, frozenset({"posts"}), {("posts", 0): 9, ("x", 0): 3})
    assert snapshot.fetchable == frozenset({("posts", 0)})
    assert snapshot.log_end == {("posts", 0): 9}
    assert snapshot.read == {("posts", 0): 4} and snapshot.committed == {("posts", 0): 5}
    assert not snapshot.held_back  # stopped with nothing in processing: nothing will resume it


def test_a_dead_metadata_task_is_restarted_and_described(
    tmp_path: Path, thread_loop: asyncio.AbstractEventLoop
) -> None:
    async def boom() -> None:
        raise RuntimeError("synchroniser died")

    task = asyncio.run_coroutine_threadsafe(_task_of(boom()), thread_loop).result(5)
    aio = FakeAio(task)
    assert describe(aio)["metadata_task"] == "ended (RuntimeError('synchroniser died'))"
    watchdog, consumer, _ends, clock, _exits, _metrics = setup(tmp_path, thread_loop, task)
    consumer._thread._consumer = aio
    run_checks(watchdog, consumer, clock, until=40)
    assert aio._client._sync_task is not task
    asyncio.run_coroutine_threadsafe(asyncio.sleep(0.05), thread_loop).result(5)
    assert aio._client.restarted == 1


async def _task_of(coro: Any) -> asyncio.Task[None]:
    task: asyncio.Task[None] = asyncio.ensure_future(coro)
    with contextlib.suppress(RuntimeError):
        await task
    return task
