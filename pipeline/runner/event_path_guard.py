"""Keep Faust's livelock detector from crashing the worker on a partition between positions.

The bug (faust-streaming 0.15.3 with aiokafka 0.14, as installed, read from their source and seen
in worker logs): the consumer's ``_commit_livelock_detector`` task calls ``verify_event_path`` for
every assigned partition every 2.5 commit intervals whenever the app is not rebalancing. That
method (`faust.transport.drivers.aiokafka.AIOKafkaConsumerThread.verify_event_path`) reads
aiokafka's ``TopicPartitionState.position``, a property that *asserts* the partition has a
position. A partition has none while it waits for an offset reset: after ``seek_to_beginning``
(what `pipeline.runner.seek_guard.rewind_uncommitted` does to stream partitions with no committed
offset, right after a rebalance ends) until the fetcher has looked the offset up; and a freshly
assigned partition has none until its first position is set. If the detector's tick falls in
that window the ``AssertionError`` crashes the consumer and the whole worker exits. Seen in a
local rehearsal of `tests/integration/test_rebalance.py`: worker 2 crashed this way a second after
a rewind (the test passed, as worker 2 was due to leave). The CI run refused after stop 26 landed
failed that test because its last worker died; that run kept no worker log, so this cause is
inferred from the same scenario, not read. `tests/unit/runner/test_event_path_guard.py` shows the
crash with Faust's own method on an aiokafka partition state awaiting a reset.

`guard_event_path` wraps the consumer's ``verify_event_path`` so that a partition with no position
yet is skipped for that tick: the detector only logs "slow processing" diagnostics,
and a partition waiting for its offset is not slow; it is checked again on the next tick."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

VerifyEventPath = Callable[[float, Any], None]


def partition_state(consumer: Any, tp: Any) -> Any:
    """aiokafka's ``TopicPartitionState`` of ``tp`` in ``consumer``'s (a Faust aiokafka
    `Consumer`) current assignment, read the way Faust's ``verify_event_path`` reads it; None
    when the consumer has not started, nothing is assigned, or ``tp`` is not assigned."""
    from aiokafka import TopicPartition

    aiokafka_consumer = getattr(consumer._thread, "_consumer", None)
    if aiokafka_consumer is None:
        return None
    subscription = aiokafka_consumer._subscription.subscription  # the fetcher's `_subscriptions`
    assignment = None if subscription is None else subscription.assignment
    if assignment is None:
        return None
    return assignment.state_value(TopicPartition(tp.topic, tp.partition))


def between_positions(consumer: Any, tp: Any) -> bool:
    """True when ``tp`` is assigned and has no position (it waits for an offset reset). A
    partition with no state is left to Faust, which checks for one before reading it."""
    state = partition_state(consumer, tp)
    return state is not None and not state.has_valid_position


def guard_event_path(consumer: Any) -> None:
    """Replace ``consumer.verify_event_path`` (a Faust aiokafka `Consumer`) with one that skips a
    partition `between_positions`; see the module docstring. Idempotent. Call before the worker
    starts."""
    if getattr(consumer, "_narrmon_event_path_guarded", False):
        return
    original: VerifyEventPath = consumer.verify_event_path

    def verify_event_path(now: float, tp: Any) -> None:
        if between_positions(consumer, tp):
            logger.info("livelock check skips %s[%s]: no position yet", tp.topic, tp.partition)
            return None
        return original(now, tp)

    consumer.verify_event_path = verify_event_path
    consumer._narrmon_event_path_guarded = True
