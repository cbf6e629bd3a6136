"""The spike agent's logic without Faust: parse hits, feed the detector, publish results.

`SpikeProcessor.on_hit(raw)` is called for every record of the hits topic (it raises
`models.errors.InvalidRecord` for a record that is not a hit; the glue dead-letters it); `tick(now)`
by a timer
(every few seconds). Effects go through three injected callables (publish to the spikes topic,
index into the alerts index) and the metrics object, so the Faust glue in `agent.py` stays thin
and this class is tested with plain coroutines.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from models.records import Hit
from pipeline.agents.hits import parse_hit
from pipeline.elastic.alerts import SpikeWriter
from pipeline.metrics import Metrics
from pipeline.settings import SpikeSettings
from pipeline.spikes.baseline import BaselineStore
from pipeline.spikes.detector import SpikeDetector, WindowResult
from pipeline.spikes.records import Spike

logger = logging.getLogger(__name__)

SpikePublisher = Callable[[Spike], Awaitable[None]]


class SpikeProcessor:
    """Not thread-safe: one per worker, driven from the event loop only."""

    def __init__(
        self,
        settings: SpikeSettings,
        metrics: Metrics,
        publish: SpikePublisher,
        index_writer: SpikeWriter | None,
        baselines: BaselineStore | None = None,
    ) -> None:
        self.detector = SpikeDetector(settings, baselines)
        self.metrics = metrics
        self.publish = publish
        self.index_writer = index_writer
        self._seen: set[tuple[str, str]] = set()
        self.agent: Any = None
        """The Faust agent feeding this processor, once `agent.register` ran."""

    def on_hit(self, raw: bytes) -> Hit:
        """Count one hits-topic record and return its `Hit`. Raises `InvalidRecord` (and counts
        nothing) for a record that is not a hit."""
        hit = parse_hit(raw)
        labels = (hit.narrative.id, hit.narrative.severity)
        if labels not in self._seen:
            # Create the counter series at 0 so Prometheus sees the step to 1 (increase()).
            self.metrics.spikes.labels(*labels)
            self._seen.add(labels)
        self.detector.observe(hit)
        return hit

    async def tick(self, now: datetime) -> list[Spike]:
        """Close due minutes, update gauges, publish and index spikes. Returns the spikes."""
        results = self.detector.close_due(now)
        spikes: list[Spike] = []
        for result in results:
            if result.platform is None:
                self._export(result)
            if result.spike is not None:
                spikes.append(result.spike)
        for spike in spikes:
            if spike.platform is None:
                self.metrics.spikes.labels(spike.narrative_id, spike.severity).inc()
            await self.publish(spike)
            if self.index_writer is not None:
                try:
                    await self.index_writer(spike)
                except Exception:  # the event is on the topic; indexing is best effort
                    logger.exception("spikes: could not index spike %s", spike.id)
        return spikes

    def _export(self, result: WindowResult) -> None:
        # The gauges are per minute whatever the window length (`spikes.window_s`).
        labels = (result.narrative_id, result.severity)
        per_minute = self.detector.per_minute
        self.metrics.narrative_rate.labels(*labels).set(result.count * per_minute)
        self.metrics.narrative_baseline.labels(*labels).set(result.baseline * per_minute)
        self.metrics.narrative_zscore.labels(*labels).set(result.z)
