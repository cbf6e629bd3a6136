"""The consumer-progress watchdog of a worker: detect a stalled consumer, recover it in process,
and only as a bounded last resort end the process for its supervisor to restart.

Why: after a broker restart the Faust consumer can stop fetching for good while records wait
(seen once in four CI runs of the broker fault test: lag frozen, the group coordinator marked
dead and never found again; nothing in Faust or aiokafka notices). Every
``worker.stall_check_s`` the watchdog takes a `Snapshot` of the consumer (what it has read, what
it may fetch, whether a stream buffer is full) and the log-end offsets of its partitions, read by
an independent kafka-python client so that a wedged consumer thread cannot hide the lag. When
`StallDetector` says records have waited with no progress for ``worker.stall_s``:

1. it logs the consumer's state (`pipeline.stall.nudge.describe`) and every task and thread
   stack, counts ``narrmon_consumer_stalls_total{action="nudged"}`` (alert ConsumerStalled), and
   kicks the consumer in process (`nudge_consumer`: coordinator re-lookup, rejoin, metadata
   refresh, a dead metadata task restarted); at least once is kept: the rebalance seeks back to
   the committed offsets;
2. after ``worker.stall_nudges`` kicks with no progress in between it logs CRITICAL and ends the
   process with `EXIT_CODE` (WorkerDown fires; the supervisor restarts it; nothing is lost).

It also ends a rebalance that waits for ORPHANED records (`OrphanDetector`: the flow stopped,
the same records unacked for ``worker.stall_s``, no runner processing a batch). Seen in a local
rehearsal of the broker fault test: after the broker restart the group rejoined, Faust's
revocation waited for one ``posts`` and one ``hits`` record each still owed an ack by one of
their two agents, every agent idle, for good. faust-streaming 0.15.3's compiled stream iterator
(its Cython ``StreamIterator``) skips a record of an older generation or one read while the
flow is stopped without acking it, where the pure-Python iterator acks it; a record read by two
agents and skipped by one is then never acked. `release_orphans` stops waiting for them WITHOUT
counting them as processed and rewinds what their partitions may commit to the first of them,
so the rebalance ends and they and the records after them are read again (duplicates are
deduplicated by hit id; `pipeline.runner.commit_guard` keeps every commit behind a record that
waits for an ack); counted as ``narrmon_consumer_stalls_total{action="released"}``.

``worker.stall_s = 0`` disables the watchdog.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pipeline.metrics import Metrics
from pipeline.runner.activity import IN_FLIGHT
from pipeline.runner.commit_guard import unacked_records
from pipeline.settings import Settings
from pipeline.stall.detector import (
    OrphanDetector,
    Record,
    Snapshot,
    StallDetector,
    TopicPartition,
    waiting,
)
from pipeline.stall.nudge import describe, describe_partitions, nudge_consumer

logger = logging.getLogger(__name__)

EXIT_CODE = 75
"""The worker's exit status when the watchdog gives up (EX_TEMPFAIL: restart me)."""

ACTIONS = ("nudged", "exited", "released")
"""The ``action`` label values of ``narrmon_consumer_stalls_total``."""

NUDGE_TIMEOUT_S = 10.0
LOG_END_TIMEOUT_S = 10.0


def consumer_snapshot(
    consumer: Any,
    topics: frozenset[str],
    log_end: dict[TopicPartition, int],
    log_start: dict[TopicPartition, int] | None = None,
) -> Snapshot:
    """A `Snapshot` of a Faust consumer (main-loop attributes only; no broker round trip)."""
    owned = {(tp.topic, tp.partition) for tp in consumer.assignment() if tp.topic in topics}
    active = {(tp.topic, tp.partition) for tp in (consumer._active_partitions or ())}
    read = {(tp.topic, tp.partition): off for tp, off in consumer._read_offset.items()}
    committed = {(tp.topic, tp.partition): off for tp, off in consumer._committed_offset.items()}
    # With the flow stopped (a rebalance, a seek) nothing is fetched on purpose, but a flow that
    # never resumes is a stall too: every owned partition counts as fetchable then.
    fetchable = owned & active if consumer.flow_active else owned
    return Snapshot(
        read={tp: read.get(tp) for tp in owned},
        committed={tp: committed.get(tp) for tp in owned},
        log_end={tp: off for tp, off in log_end.items() if tp in owned},
        log_start={tp: off for tp, off in (log_start or {}).items() if tp in owned},
        fetchable=frozenset(fetchable),
        held_back=bool(consumer._buffered_partitions)
        or (not consumer.flow_active and bool(consumer._unacked_messages)),
    )


def release_orphans(consumer: Any, orphans: dict[Record, Any]) -> None:
    """Stop waiting for ``orphans`` without counting them as processed (main loop only).

    Each is marked acked so that a late ack cannot count its offset, and dropped from the
    consumer's unacked set (its rebalance wait wakes up). Offsets acked at or after the first
    orphan of a partition are forgotten, so the next commit stops before it, and after the
    rebalance Faust seeks to the committed offsets: everything from the orphan on is read again.
    (Before the release, `pipeline.runner.commit_guard` kept commits behind the orphan, which
    Faust's ``_new_offset`` alone passes when it is the only gap at the committed offset.)"""
    first: dict[tuple[str, int], int] = {}
    for (topic, partition, offset), message in orphans.items():
        message.acked = True
        consumer._unacked_messages.discard(message)
        first[(topic, partition)] = min(offset, first.get((topic, partition), offset))
    for tp, acked in list(consumer._acked.items()):
        start = first.get((tp.topic, tp.partition))
        if start is None:
            continue
        later = {offset for offset in acked if offset >= start}
        acked[:] = [offset for offset in acked if offset < start]
        consumer._acked_index[tp].difference_update(later)
    waiter = getattr(consumer, "_waiting_for_ack", None)
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class LogEnds:
    """Log-end offsets from a kafka-python consumer of its own (no group), on one thread; the
    log-start offsets of the same partitions, read with them, are kept in `starts`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="narrmon-stall-log-ends")
        self._client: Any = None
        self._busy = False
        self.starts: dict[TopicPartition, int] = {}

    def _read(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        from kafka import KafkaConsumer
        from kafka import TopicPartition as KafkaTP

        from pipeline.kafka_security import kafka_python_options

        if self._client is None:
            self._client = KafkaConsumer(
                bootstrap_servers=self._settings.kafka.bootstrap,
                group_id=None,
                enable_auto_commit=False,
                client_id="narrmon-stall-watchdog",
                **kafka_python_options(self._settings.kafka.security),
            )
        wanted = [KafkaTP(t, p) for t, p in tps]
        timeout_ms = int(LOG_END_TIMEOUT_S * 1000)
        ends = self._client.end_offsets(wanted, timeout_ms=timeout_ms)
        starts = self._client.beginning_offsets(wanted, timeout_ms=timeout_ms)
        self.starts = {(tp.topic, tp.partition): int(off) for tp, off in starts.items()}
        return {(tp.topic, tp.partition): int(off) for tp, off in ends.items()}

    async def read(self, tps: Iterable[TopicPartition]) -> dict[TopicPartition, int] | None:
        """Log ends of ``tps``, or None when the broker does not answer in time."""
        wanted = sorted(tps)
        if not wanted or self._busy:
            return None if self._busy else {}
        self._busy = True
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._read, wanted)
        future.add_done_callback(lambda _f: setattr(self, "_busy", False))
        try:
            return await asyncio.wait_for(asyncio.shield(future), LOG_END_TIMEOUT_S + 5)
        except Exception as exc:
            logger.debug("log ends not read: %r", exc)
            return None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._executor.shutdown(wait=False, cancel_futures=True)


class ConsumerWatchdog:
    """Call `check` from a timer on the worker's loop; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        topics: frozenset[str],
        *,
        log_ends: Any = None,
        exit: Callable[[int], None] = os._exit,
        clock: Callable[[], float] = time.monotonic,
        busy: Callable[[], bool] = lambda: IN_FLIGHT.busy,
    ) -> None:
        w = settings.worker
        self.detector = StallDetector(w.stall_s)
        self.orphans = OrphanDetector(w.stall_s)
        self._busy = busy
        self.max_nudges = w.stall_nudges
        self.nudges = 0
        self.gave_up = False
        self._metrics = metrics
        self._topics = topics
        self._log_ends = log_ends if log_ends is not None else LogEnds(settings)
        self._exit = exit
        self._clock = clock
        for action in ACTIONS:  # series exist at 0, so increase() sees the first
            metrics.consumer_stalls.labels(action=action)

    async def check(self, faust_consumer: Any) -> None:
        """One observation; kicks or exits when the consumer is stalled. Never raises."""
        try:
            await self._check(faust_consumer)
        except Exception:
            logger.exception("consumer watchdog check failed")

    async def _check(self, faust_consumer: Any) -> None:
        if self.gave_up:
            return
        self._check_orphans(faust_consumer)
        owned = [
            (tp.topic, tp.partition)
            for tp in faust_consumer.assignment()
            if tp.topic in self._topics
        ]
        ends = await self._log_ends.read(owned) if owned else None
        snapshot = (
            None
            if ends is None
            else consumer_snapshot(faust_consumer, self._topics, ends, self._log_ends.starts)
        )
        stalled_s = self.detector.observe(self._clock(), snapshot)
        if self.detector.healthy and self.nudges:
            logger.info("consumer progressing again after %d kick(s)", self.nudges)
            self.nudges = 0
        if stalled_s < self.detector.stall_s or snapshot is None:
            return
        late = waiting(snapshot)
        if self.nudges >= self.max_nudges:
            self._give_up(stalled_s, late)
            return
        self.nudges += 1
        self.detector.reset()
        self._metrics.consumer_stalls.labels(action="nudged").inc()
        aio = faust_consumer._thread._consumer
        state = await self._nudge(faust_consumer, aio)
        from pipeline.worker import dump_stacks

        logger.warning(
            "consumer stalled: %d record(s) waiting on %s, nothing read for %.0fs; kick %d of %d: "
            "%s\n%s\n%s",
            sum(late.values()),
            sorted(late),
            stalled_s,
            self.nudges,
            self.max_nudges,
            state,
            describe_partitions(faust_consumer),
            dump_stacks(),
        )

    def _check_orphans(self, faust_consumer: Any) -> None:
        unacked = unacked_records(faust_consumer)
        waited = self.orphans.observe(
            self._clock(),
            flow_stopped=not faust_consumer.flow_active,
            unacked=frozenset(unacked),
            busy=self._busy(),
        )
        if waited < self.orphans.stall_s:
            return
        self.orphans.reset()
        release_orphans(faust_consumer, unacked)
        self._metrics.consumer_stalls.labels(action="released").inc()
        logger.warning(
            "rebalance waited %.0fs for %d record(s) no agent is processing (%s); released "
            "without acking them: they are read again from the first of them after the rebalance",
            waited,
            len(unacked),
            ", ".join(f"{t}[{p}]@{o}" for t, p, o in sorted(unacked)),
        )

    async def _nudge(self, faust_consumer: Any, aio: Any) -> dict[str, str]:
        loop = faust_consumer._thread.thread_loop
        try:
            future = asyncio.run_coroutine_threadsafe(nudge_consumer(aio), loop)
            return await asyncio.wait_for(asyncio.wrap_future(future), NUDGE_TIMEOUT_S)
        except Exception as exc:
            state = describe(aio)
            state["actions"] = f"the kick did not complete: {exc!r}"
            return state

    def _give_up(self, stalled_s: float, late: dict[TopicPartition, int]) -> None:
        self.gave_up = True
        self._metrics.consumer_stalls.labels(action="exited").inc()
        logger.critical(
            "consumer still stalled after %d kick(s): %d record(s) waiting on %s, nothing read "
            "for %.0fs; exiting with %d for the supervisor to restart the worker (uncommitted "
            "records are delivered again)",
            self.nudges,
            sum(late.values()),
            sorted(late),
            stalled_s,
            EXIT_CODE,
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        self._exit(EXIT_CODE)

    def close(self) -> None:
        self._log_ends.close()
