"""`RecentIds`: a bounded memory of recently seen ids, to count a redelivered hit once. Pure."""

from __future__ import annotations

from collections import OrderedDict


class RecentIds:
    """The last `capacity` distinct ids seen (least recently seen forgotten first).

    Delivery is at least once: a post is matched again after a redelivery (a restart before the
    commit, a retried or re-isolated batch) or when a connector publishes it twice, and yields
    the same hit ids. Metrics that count hits ask `first_time` so a hit id seen recently is not
    counted again. Bounded, so an id older than the last `capacity` may be counted twice; a new
    process starts empty (Prometheus' ``increase()`` already treats it as a counter reset).
    Not thread-safe (the event loop only)."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, id_: str) -> bool:
        """True when `id_` is not among the recent ids (it is now); False otherwise."""
        if id_ in self._ids:
            self._ids.move_to_end(id_)
            return False
        self._ids[id_] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._ids)
