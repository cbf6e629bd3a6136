"""Pure logic of the consumer-progress watchdog: is the consumer stalled?

A consumer is STALLED when, for `stall_s` seconds of consecutive observations, records wait on a
partition it owns and may fetch (the log end is past what it has read), nothing it owns was read
further, and no stream buffer is full. Each observation is a `Snapshot` taken from the running
consumer plus log-end offsets read by an independent client (`pipeline.stall.watchdog`).

What is NOT a stall, by construction:

- an outage: when the log ends cannot be read (broker down) the observation is `None`, which
  restarts the clock (the stall must then last `stall_s` after the broker answers again);
- back-pressure: a full stream buffer (the matcher or Elasticsearch slow or down) pauses
  fetching on purpose, and a rebalance keeps the flow stopped until the records being processed
  are done; Faust's table recovery pauses the stream partitions (not fetchable);
- an idle topic: nothing waits, so nothing is late.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class Snapshot:
    """One look at a consumer.

    ``read`` is the offset of the last record delivered per owned partition (None: nothing
    delivered since it was assigned); ``committed`` the group's committed offset (the next to
    read); ``log_end`` the log-end offset (the next to be written); ``fetchable`` the owned
    partitions the consumer may fetch now; ``held_back`` whether the worker holds reading back on
    purpose: a stream buffer is full, or the flow is stopped while records are still being
    processed (a rebalance waits for them, however long Elasticsearch is away)."""

    read: Mapping[TopicPartition, int | None]
    committed: Mapping[TopicPartition, int | None]
    log_end: Mapping[TopicPartition, int]
    fetchable: frozenset[TopicPartition]
    held_back: bool = False
    log_start: Mapping[TopicPartition, int] = field(default_factory=dict)
    """The first offset of each partition: where a consumer with nothing read and nothing
    committed starts (the worker resets to the earliest offset)."""


def waiting(snapshot: Snapshot) -> dict[TopicPartition, int]:
    """Records waiting per fetchable partition (only those with some; unknown positions skipped).

    The position is after the last record read, else the committed offset, else the log start (a
    partition nothing was ever read from or committed on, e.g. one that received its first
    records after the last rebalance)."""
    late: dict[TopicPartition, int] = {}
    for tp in snapshot.fetchable:
        end = snapshot.log_end.get(tp)
        read = snapshot.read.get(tp)
        committed = snapshot.committed.get(tp)
        position = (
            read + 1
            if read is not None
            else committed
            if committed is not None
            else snapshot.log_start.get(tp)
        )
        if end is None or position is None:
            continue
        if end > position:
            late[tp] = end - position
    return late


@dataclass
class StallDetector:
    """Feed it `observe` every few seconds; it answers how long the consumer has been stalled."""

    stall_s: float
    healthy: bool | None = None
    """After `observe`: True when the consumer progressed or had nothing to do, False when records
    waited with no progress, None when it could not be observed."""
    _since: float | None = None
    _read: dict[TopicPartition, int | None] = field(default_factory=dict)

    def observe(self, now: float, snapshot: Snapshot | None) -> float:
        """Seconds the consumer has been stalled as of ``now`` (0.0 when it is not)."""
        if snapshot is None:
            self.healthy = None
            self.reset()
            return 0.0
        read = dict(snapshot.read)
        progressed = read != self._read
        self._read = read
        self.healthy = progressed or snapshot.held_back or not waiting(snapshot)
        if self.healthy:
            self._since = None
            return 0.0
        if self._since is None:
            self._since = now
        return now - self._since

    def stalled(self, now: float, snapshot: Snapshot | None) -> bool:
        return self.observe(now, snapshot) >= self.stall_s

    def reset(self) -> None:
        """Forget the clock (after a recovery attempt, or when nothing can be observed)."""
        self._since = None


Record = tuple[str, int, int]
"""A record by topic, partition and offset."""


@dataclass
class OrphanDetector:
    """Is a rebalance waiting for records that nothing will ever ack?

    Faust stops the flow at a rebalance and waits until every record its streams took is acked.
    A record read by two agents (``posts`` feeds matching and coordination, ``hits`` indexing and
    spikes) must be acked by both; when one of them drops it (its iterator skips a record of an
    older generation or read while the flow was stopped, without acking it), the wait never ends
    and the worker reads nothing more, with no error. Such records are ORPHANS when, for
    `stall_s` seconds of consecutive observations, the flow is stopped, the same records wait
    for their ack and no runner is processing a batch (a busy runner may still ack them: that is
    back-pressure, e.g. Elasticsearch away)."""

    stall_s: float
    _since: float | None = None
    _waiting: frozenset[Record] = frozenset()

    def observe(
        self, now: float, *, flow_stopped: bool, unacked: frozenset[Record], busy: bool
    ) -> float:
        """Seconds the same records have waited with nothing processing (0.0: no orphans)."""
        if not flow_stopped or not unacked or busy or unacked != self._waiting:
            self._waiting = unacked if flow_stopped and not busy else frozenset()
            self._since = now if self._waiting else None
            return 0.0
        assert self._since is not None
        return now - self._since

    def reset(self) -> None:
        self._since, self._waiting = None, frozenset()
