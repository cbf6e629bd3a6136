"""Never commit past a record that still waits for its ack.

Faust commits, per partition, the longest run of consecutive acked offsets (`Consumer._new_offset`,
faust-streaming 0.15.3, read from its source). Two of its rules let that run pass over a record
nothing has processed:

- one missing offset at the partition's committed offset is tolerated (``min(acked) - committed
  > 1`` is the only head check);
- with no committed offset yet (None or 0), the head is not checked at all.

A record read by two agents (``posts``: matching and coordination; ``hits``: indexing and spikes)
that one agent acked and the other dropped around a rebalance (faust's compiled stream iterator
drops a stale record without acking it; see `pipeline.stall.watchdog`) is exactly such a record:
it waits in the consumer's unacked set, the records after it are acked by both agents, and the
periodic commit moves past it, so the agent that dropped it never gets it. `guard_commits` wraps
``_new_offset`` so that the run it commits stops before the first record of the partition that
is tracked and not acked; Faust's rules are unchanged for everything else (an offset that was
never delivered, e.g. a transaction marker, is still passed over as before).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NewOffset = Callable[[Any], int | None]


def unacked_records(consumer: Any) -> dict[tuple[str, int, int], Any]:
    """The messages a Faust consumer waits for an ack of, by topic, partition and offset."""
    return {
        (m.topic, m.partition, m.offset): m for m in list(consumer._unacked_messages) if not m.acked
    }


def first_unacked(consumer: Any, tp: Any) -> int | None:
    """The lowest offset of ``tp`` among the consumer's tracked, unacked messages."""
    return min(
        (o for t, p, o in unacked_records(consumer) if (t, p) == (tp.topic, tp.partition)),
        default=None,
    )


def new_offset_below_unacked(consumer: Any, tp: Any, new_offset: NewOffset) -> int | None:
    """Faust's ``new_offset(tp)`` computed without the acked offsets at or after the first
    unacked record of ``tp``; those are kept for a later commit."""
    first = first_unacked(consumer, tp)
    acked: list[int] = consumer._acked[tp]
    if first is None or not any(offset >= first for offset in acked):
        return new_offset(tp)
    held = [offset for offset in acked if offset >= first]
    acked[:] = [offset for offset in acked if offset < first]
    try:
        return new_offset(tp)
    finally:
        acked.extend(held)
        acked.sort()


def guard_commits(consumer: Any) -> None:
    """Wrap ``consumer._new_offset`` (a Faust `Consumer`); idempotent. Call before the worker
    starts."""
    if getattr(consumer, "_narrmon_commit_guarded", False):
        return
    original: NewOffset = consumer._new_offset

    def new_offset(tp: Any) -> int | None:
        return new_offset_below_unacked(consumer, tp, original)

    consumer._new_offset = new_offset
    consumer._narrmon_commit_guarded = True
