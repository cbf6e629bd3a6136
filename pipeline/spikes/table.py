"""The narrative states as a Faust table, each written to its narrative's changelog partition.

Faust writes a table change to the changelog partition of the event being processed (the
``current_event``). The spike step handles a whole batch, which may mix partitions, so it cannot
rely on that: `StateTable` writes each state to the partition its records come from (the state's
``partition``, i.e. the partition of the narrative id on ``hits.by-narrative``). The table and
that topic have the same number of partitions and Faust assigns the same partition numbers of
every topic and changelog to one worker, so a narrative's state is restored by whoever owns its
hits after a rebalance.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any


class StateTable(MutableMapping[str, dict[str, Any]]):
    """`pipeline.spikes.state.NarrativeState` dicts by narrative id, over a Faust `Table`.

    Reads see every key the worker's store holds (active partitions, and possibly stale keys of
    partitions it no longer owns: callers filter by the state's ``partition``). Writes send the
    change to the changelog without waiting (Faust flushes its producer before it commits
    offsets). Event-loop only."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def __getitem__(self, key: str) -> dict[str, Any]:
        value = self._table.data.get(key)
        if value is None:
            raise KeyError(key)
        return dict(value)

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        partition = value.get("partition")
        if not isinstance(partition, int):
            raise ValueError(f"state of {key!r} has no partition to write it to")
        self._table.send_changelog(partition, key, value)
        self._table.data[key] = value

    def __delitem__(self, key: str) -> None:
        partition = self[key].get("partition")
        self._table.send_changelog(partition, key, None, value_serializer="raw")
        del self._table.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._table.data.keys()))

    def __len__(self) -> int:
        return len(self._table.data)
