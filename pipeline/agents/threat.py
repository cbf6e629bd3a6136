"""Threat scores for the hits of one batch: the matching step's glue between the per-narrative
velocity (`pipeline.velocity`), the targeting signals and the pure score (`models.threat`).

Counts ``narrmon_threat_hits`` by narrative and level. Never raises for a hit: the score only
reads fields every valid `Hit` has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from models.records import Hit, utc_now
from models.threat import DEFAULT_SIGNALS, TargetingSignal, assess
from pipeline.metrics import Metrics
from pipeline.velocity import NarrativeVelocity


class ThreatAssessor:
    """Scores hits in arrival order; keeps the velocity state of this worker's share of hits.
    `signals`: the targeting signals (`models.threat.TargetingSignal`); `clock`: the
    processing clock (caps post times from the future)."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        velocity: NarrativeVelocity | None = None,
        signals: Sequence[TargetingSignal] = DEFAULT_SIGNALS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.metrics = metrics
        self.velocity = velocity or NarrativeVelocity()
        self.signals = tuple(signals)
        self.clock = clock

    def score(self, hits: Sequence[Hit]) -> list[Hit]:
        """`hits` with their ``threat`` set, in the same order."""
        now = self.clock()
        scored = []
        for hit in hits:
            pace = self.velocity.observe(hit.narrative.id, hit.post.created_at, now)
            threat = assess(hit.post, hit.narrative, hit.stance, pace, self.signals)
            self.metrics.threat_hits.labels(narrative=hit.narrative.id, level=threat.level).inc()
            scored.append(hit.model_copy(update={"threat": threat}))
        return scored
