"""Consumer lag per topic/partition: log end offset (highwater) minus committed position.

`partition_lag` is pure. `refresh_consumer_lag` reads a running Faust consumer and sets the
``narrmon_consumer_lag`` gauge for the partitions assigned to THIS worker only, so that summing the
gauge over workers gives the group's lag without double counting; partitions that moved to another
worker are removed from this worker's gauge.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pipeline.metrics import Metrics

logger = logging.getLogger(__name__)

TopicPartition = tuple[str, int]


def partition_lag(
    highwaters: Mapping[TopicPartition, int],
    committed: Mapping[TopicPartition, int | None],
    earliest: Mapping[TopicPartition, int] | None = None,
) -> dict[TopicPartition, int]:
    """Lag per partition. A partition with no committed offset counts from its earliest offset
    (0 if unknown); lag is never negative."""
    lag: dict[TopicPartition, int] = {}
    for tp, high in highwaters.items():
        position = committed.get(tp)
        if position is None:
            position = (earliest or {}).get(tp, 0)
        lag[tp] = max(0, high - position)
    return lag


class LagReporter:
    """Keeps the lag gauge in step with one worker's assignment. Call `refresh` from a timer."""

    def __init__(self, metrics: Metrics, topics: frozenset[str]) -> None:
        self._metrics = metrics
        self._topics = topics
        self._labelled: set[TopicPartition] = set()

    async def refresh(self, consumer: Any) -> dict[TopicPartition, int]:
        """Read highwaters and committed offsets from a Faust consumer; set the gauge.

        Never raises on a consumer that is rebalancing or stopping: it logs and keeps the last
        values (a scrape then shows slightly stale lag rather than a gap)."""
        try:
            assignment = [tp for tp in consumer.assignment() if tp.topic in self._topics]
            if not assignment:
                self._set({})
                return {}
            highwaters = await consumer.highwaters(*assignment)
            # Faust keeps the last committed offset per partition (read from the broker when the
            # partition is assigned, updated on every commit); there is no public accessor.
            committed_map = consumer._committed_offset
            earliest = await consumer.earliest_offsets(*assignment)
        except Exception as exc:
            logger.debug("consumer lag not refreshed: %r", exc)
            return {}
        lag = partition_lag(
            {(tp.topic, tp.partition): int(h) for tp, h in highwaters.items()},
            {(tp.topic, tp.partition): committed_map.get(tp) for tp in assignment},
            {(tp.topic, tp.partition): int(e) for tp, e in earliest.items()},
        )
        self._set(lag)
        return lag

    def _set(self, lag: Mapping[TopicPartition, int]) -> None:
        gauge = self._metrics.consumer_lag
        for tp in self._labelled - set(lag):
            gauge.remove(tp[0], str(tp[1]))
        for (topic, partition), value in lag.items():
            gauge.labels(topic=topic, partition=str(partition)).set(value)
        self._labelled = set(lag)
