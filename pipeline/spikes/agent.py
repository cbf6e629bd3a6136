"""Faust glue for spike detection: one agent on the hits topic, one timer, two tables.

`register(app, hits_topic, spikes_topic, settings, metrics, index_writer, dead_letters=...)` adds:

- agent ``narrmon-spikes`` on `hits_topic` (raw bytes: JSON `Hit`s), which counts each hit in the
  in-process `SpikeDetector` and in a 1-minute tumbling table of counts per narrative and
  narrative x platform (``spike-counts``, kept an hour, for inspection and recovery; Faust
  prefixes its changelog topic with the app id). A record that is not a hit is dead-lettered
  from its origin through the worker's `pipeline.runner.DeadLetterWriter` (source ``spikes``)
  and skipped;
- a plain table ``spike-baselines`` holding each key's EWMA state (changelog-backed, so a
  restarted worker keeps its baselines). Faust only lets a table change inside a stream event, so
  baseline updates made by the timer are copied into the table on the next hit;
- a timer (every ``min(grace_s, 5)`` s) that closes due minutes: gauges
  ``narrmon_narrative_rate_per_minute``/``_baseline_``/``_spike_zscore``, the
  ``narrmon_narrative_spikes_total`` counter, and for each spike a `Spike` JSON event on
  `spikes_topic` (key: spike id) and a document in the alerts index via `index_writer`.

Limitation: counts are per worker process. With several workers sharing the hits topic (keyed by
hit id), each sees a share of every narrative; run spike detection in one process, or repartition
the hits topic by narrative before this agent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from models.errors import InvalidRecord
from pipeline.elastic.alerts import SpikeWriter
from pipeline.metrics import Metrics
from pipeline.runner import DeadLetterWriter, origin_of
from pipeline.settings import Settings
from pipeline.spikes.detector import narrative_key
from pipeline.spikes.processor import SpikeProcessor
from pipeline.spikes.records import Spike

logger = logging.getLogger(__name__)

SPIKES_SOURCE = "spikes"
"""The dead-letter ``source`` of a hits record the spike agent could not read."""


class TableBackedBaselines(MutableMapping[str, dict[str, Any]]):
    """Baselines in memory, read through from a Faust table on a miss, written back by `flush`
    (which must run inside a stream event)."""

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self._table = table
        self._memory: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()

    def __getitem__(self, key: str) -> dict[str, Any]:
        if key not in self._memory:
            stored = self._table.get(key) if key in self._table else None
            if not stored:
                raise KeyError(key)
            self._memory[key] = dict(stored)
        return self._memory[key]

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        self._memory[key] = value
        self._dirty.add(key)

    def __delitem__(self, key: str) -> None:
        del self._memory[key]
        self._dirty.discard(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._memory)

    def __len__(self) -> int:
        return len(self._memory)

    def __contains__(self, key: object) -> bool:
        return key in self._memory or (isinstance(key, str) and key in self._table)

    def flush(self) -> int:
        """Copy changed baselines into the table; returns how many."""
        dirty, self._dirty = self._dirty, set()
        for key in dirty:
            self._table[key] = self._memory[key]
        return len(dirty)


def register(  # noqa: PLR0917 (the signature the worker app calls)
    app: Any,
    hits_topic: Any,
    spikes_topic: Any,
    settings: Settings,
    metrics: Metrics,
    index_writer: SpikeWriter | None,
    *,
    dead_letters: DeadLetterWriter,
) -> SpikeProcessor:
    """Add the spike agent, tables and timer to `app` (no I/O now). Returns the processor, whose
    ``tick`` the timer calls (tests may call it directly)."""
    import faust

    s = settings.spikes
    app_id = settings.worker.app_id

    def json_schema() -> Any:
        # The app's default serializer is "raw"; table keys and values are JSON.
        return faust.Schema(key_serializer="json", value_serializer="json")

    counts = app.Table(
        "spike-counts",
        default=int,
        schema=json_schema(),
        partitions=settings.topics.partitions,
    ).tumbling(s.window_s, expires=timedelta(hours=1))
    baseline_table = app.Table(
        "spike-baselines",
        default=dict,
        schema=json_schema(),
        partitions=settings.topics.partitions,
    )
    baselines = TableBackedBaselines(baseline_table)

    async def publish(spike: Spike) -> None:
        await spikes_topic.send(
            key=spike.id.encode("utf-8"), value=spike.model_dump_json().encode("utf-8")
        )

    processor = SpikeProcessor(s, metrics, publish, index_writer, baselines)

    @app.agent(hits_topic, name=f"{app_id}-spikes")  # type: ignore[untyped-decorator]
    async def spikes_agent(stream: Any) -> None:
        async for raw in stream:
            try:
                hit = processor.on_hit(raw)
            except InvalidRecord as error:
                # Delivered before the loop moves on, i.e. before this event is acked.
                origin = origin_of(stream.current_event)
                await (await dead_letters.send_invalid(raw, error, origin, source=SPIKES_SOURCE))
                continue
            counts[narrative_key(hit.narrative.id)] += 1
            counts[narrative_key(hit.narrative.id, hit.post.platform)] += 1
            baselines.flush()

    @app.timer(min(s.grace_s, 5.0) or 1.0)  # type: ignore[untyped-decorator]
    async def close_spike_windows() -> None:
        await processor.tick(datetime.now(UTC))

    processor.agent = spikes_agent
    return processor
