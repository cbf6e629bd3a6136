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


class FakeMessage:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self.topic, self.partition, self.offset = topic, partition, offset
        self.acked = False


class FakeFaustConsumer:
    def __init__(self, thread: FakeThread, owned: list[TP]) -> None:
        self._thread = thread
        self._owned = owned
        self._active_partitions = set(owned)
        self._read_offset: dict[TP, int | None] = {tp: 4 for tp in owned}
        self._committed_offset: dict[TP, int | None] = {tp: 5 for tp in owned}
        self._buffered_partitions: set[TP] = set()
        self._unacked_messages: set[FakeMessage] = set()
        self._acked: dict[TP, list[int]] = {}
        self._acked_index: dict[TP, set[int]] = {}
        self._waiting_for_ack: asyncio.Future[None] | None = None
        self.flow_active = True

    def assignment(self) -> set[TP]:
        return set(self._owned)


class FakeLogEnds:
    def __init__(self) -> None:
        self.ends: dict[tuple[str, int], int] | None = {}
        self.starts: dict[tuple[str, int], int] = {}

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
    tmp_path: Path,
    loop: asyncio.AbstractEventLoop,
    sync_task: Any = None,
    busy: list[bool] | None = None,
) -> tuple[ConsumerWatchdog, FakeFaustConsumer, FakeLogEnds, Clock, list[int], Metrics]:
    settings = Settings(state_dir=tmp_path)
    settings = settings.model_copy(
        update={"worker": settings.worker.model_copy(update={"stall_s": 30.0, "stall_nudges": 2})}
    )
    metrics = Metrics(CollectorRegistry())
    ends, clock, exits = FakeLogEnds(), Clock(), []
    consumer = FakeFaustConsumer(FakeThread(loop, FakeAio(sync_task)), [TP("posts", 0)])
    ends.ends = {("posts", 0): 50}
    runner_busy = busy if busy is not None else [False]
    watchdog = ConsumerWatchdog(
        settings,
        metrics,
        frozenset({"posts"}),
        log_ends=ends,
        exit=exits.append,
        clock=clock,
        busy=lambda: runner_busy[0],
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
    busy = [True]  # a runner is processing a batch throughout
    watchdog, consumer, ends, clock, exits, metrics = setup(tmp_path, thread_loop, busy=busy)
    consumer._buffered_partitions = {TP("posts", 0)}
    run_checks(watchdog, consumer, clock, until=300)
    consumer._buffered_partitions = set()
    consumer._active_partitions = set()  # paused (table recovery), flow running
    run_checks(watchdog, consumer, clock, until=600)
    consumer._active_partitions = {TP("posts", 0)}
    consumer.flow_active = False  # a rebalance waiting for records still being processed
    consumer._unacked_messages = {FakeMessage("posts", 0, 5)}
    run_checks(watchdog, consumer, clock, until=900)
    consumer.flow_active = True
    ends.ends = None  # the broker does not answer
    run_checks(watchdog, consumer, clock, until=1200)
    assert stalls(metrics, "nudged") == 0.0 and exits == []
    assert stalls(metrics, "released") == 0.0 and consumer._unacked_messages


def test_a_rebalance_waiting_for_records_no_runner_holds_releases_them_unacked(
    tmp_path: Path, thread_loop: asyncio.AbstractEventLoop
) -> None:
    """The orphan case seen after a broker restart: the flow stopped for a rebalance, two records
    owed an ack, every runner idle. They are released without their offsets counting as done."""
    watchdog, consumer, ends, clock, exits, metrics = setup(tmp_path, thread_loop)
    ends.ends = {("posts", 0): 5}  # nothing waits to be read: not a stall of the other kind
    orphan, other = FakeMessage("posts", 0, 5), FakeMessage("hits", 2, 0)
    consumer.flow_active = False
    consumer._unacked_messages = {orphan, other}
    posts0, hits2 = TP("posts", 0), TP("hits", 2)
    consumer._acked = {posts0: [3, 4, 6, 7], hits2: [1]}
    consumer._acked_index = {posts0: {3, 4, 6, 7}, hits2: {1}}

    async def go() -> asyncio.Future[None]:
        consumer._waiting_for_ack = asyncio.get_running_loop().create_future()
        while clock.now < 25:  # 20 s of the same records waiting: not yet 30 s
            clock.now += 5
            await watchdog.check(consumer)
        assert stalls(metrics, "released") == 0.0 and len(consumer._unacked_messages) == 2
        clock.now += 10
        await watchdog.check(consumer)
        return consumer._waiting_for_ack

    waiter = asyncio.run(go())
    assert stalls(metrics, "released") == 1.0
    assert consumer._unacked_messages == set()
    assert orphan.acked and other.acked  # a late ack cannot count their offsets
    assert waiter.done()  # the rebalance's wait for acks wakes up
    # posts[0] may commit up to the orphan (5), not past it: 6 and 7 are read again
    assert consumer._acked[posts0] == [3, 4] and consumer._acked_index[posts0] == {3, 4}
    assert consumer._acked[hits2] == [] and consumer._acked_index[hits2] == set()
    assert stalls(metrics, "nudged") == 0.0 and exits == []


def test_orphans_are_only_released_while_the_flow_is_stopped(
    tmp_path: Path, thread_loop: asyncio.AbstractEventLoop
) -> None:
    watchdog, consumer, ends, clock, _exits, metrics = setup(tmp_path, thread_loop)
    ends.ends = {("posts", 0): 5}
    consumer._unacked_messages = {FakeMessage("posts", 0, 5)}
    run_checks(watchdog, consumer, clock, until=300)  # flow running: records in processing
    assert stalls(metrics, "released") == 0.0 and consumer._unacked_messages


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


def test_a_partition_never_read_nor_committed_counts_from_its_log_start(
    tmp_path: Path, thread_loop: asyncio.AbstractEventLoop
) -> None:
    """Records that arrived on a partition after the last rebalance and were never fetched."""
    watchdog, consumer, ends, clock, _exits, metrics = setup(tmp_path, thread_loop)
    consumer._read_offset = {TP("posts", 0): None}
    consumer._committed_offset = {TP("posts", 0): None}
    ends.starts = {("posts", 0): 50}  # empty: nothing waits
    run_checks(watchdog, consumer, clock, until=60)
    assert stalls(metrics, "nudged") == 0.0
    ends.starts = {("posts", 0): 0}  # 50 records wait from the log start
    run_checks(watchdog, consumer, clock, until=100)
    assert stalls(metrics, "nudged") == 1.0
