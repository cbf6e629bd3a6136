"""Windows shorter than a minute (``spikes.window_s``, as the end-to-end test uses): the
half-life, warm-up and cooldown stay in real minutes and the gauges stay per minute."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry

from pipeline.metrics import NARRATIVE_BASELINE, NARRATIVE_RATE, Metrics
from pipeline.settings import SpikeSettings
from pipeline.spikes.detector import SpikeDetector, WindowResult
from pipeline.spikes.processor import SpikeProcessor
from pipeline.spikes.records import Spike
from tests.unit.spikes.conftest import T0, HitFactory

WINDOW_S = 5
PER_MINUTE = 60 // WINDOW_S
SHORT = SpikeSettings(window_s=WINDOW_S, by_platform=False, grace_s=0, warmup_min=1)


def at_window(window: float) -> datetime:
    return T0 + timedelta(seconds=window * WINDOW_S)


def feed(
    detector: SpikeDetector, make_hit: HitFactory, counts: list[int], start: int = 0
) -> list[WindowResult]:
    """`counts[i]` hits from distinct authors in window `start + i`, closing each as it ends."""
    results: list[WindowResult] = []
    for i, count in enumerate(counts):
        window = start + i
        for j in range(count):
            hit = make_hit(0, author=f"u{j}")
            detector.observe(hit, at=at_window(window + (j + 1) / (count + 2)))
        results += detector.close_due(at_window(window + 1))
    return results


def spikes(results: list[WindowResult]) -> list[Spike]:
    return [r.spike for r in results if r.spike is not None]


def mean(detector: SpikeDetector) -> float:
    baseline = detector.baseline("n-vaccine-chips")
    assert baseline is not None
    return baseline.mean


def test_warmup_is_counted_in_minutes_not_windows(make_hit: HitFactory) -> None:
    # warmup_min=1 with 5 s windows: 12 windows of baseline are needed.
    early = feed(SpikeDetector(SHORT), make_hit, [1] * (PER_MINUTE - 1) + [40])
    assert spikes(early) == []
    warm = feed(SpikeDetector(SHORT), make_hit, [1] * PER_MINUTE + [40])
    (spike,) = spikes(warm)
    assert spike.count == 40
    assert spike.window_end - spike.window_start == timedelta(seconds=WINDOW_S)
    assert spike.window_start == at_window(PER_MINUTE)


def test_zero_warmup_lets_the_first_window_spike(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SHORT.model_copy(update={"warmup_min": 0}))
    (spike,) = spikes(feed(detector, make_hit, [40]))
    assert spike.baseline == 0.0


def test_half_life_is_in_minutes(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SHORT.model_copy(update={"baseline_half_life_min": 1.0}))
    feed(detector, make_hit, [6] * 3)
    assert mean(detector) == 6.0
    # One minute (12 windows) of silence halves the baseline.
    detector.close_due(at_window(3 + PER_MINUTE))
    assert math.isclose(mean(detector), 3.0)


def test_cooldown_is_in_minutes(make_hit: HitFactory) -> None:
    # A short half-life so each burst is forgotten within a few windows.
    update = {"warmup_min": 0, "cooldown_min": 1, "baseline_half_life_min": 0.02}
    detector = SpikeDetector(SHORT.model_copy(update=update))
    first = spikes(feed(detector, make_hit, [0, 40]))
    # Half a minute after the first spike the same burst is still in cooldown ...
    suppressed = spikes(feed(detector, make_hit, [0] * 5 + [40], start=2))
    # ... a minute after it, it is reported again.
    again = spikes(feed(detector, make_hit, [0] * 5 + [40], start=8))
    assert [len(first), len(suppressed), len(again)] == [1, 0, 1]
    assert again[0].window_start == at_window(1 + PER_MINUTE)


def test_gauges_are_per_minute(make_hit: HitFactory) -> None:
    metrics = Metrics(CollectorRegistry())

    async def publish(spike: Spike) -> None:
        pass

    processor = SpikeProcessor(SHORT, metrics, publish, None)
    labels = {"narrative": "n-vaccine-chips", "severity": "medium"}

    async def scenario() -> None:
        for window in range(2):
            for j in range(3):
                hit = make_hit(0, author=f"u{j}")
                processor.detector.observe(hit, at=at_window(window + 0.5))
            await processor.tick(at_window(window + 1))

    asyncio.run(scenario())
    # 3 hits in a 5 s window is 36 hits a minute; the baseline (3 per window) likewise.
    assert metrics.registry.get_sample_value(NARRATIVE_RATE, labels) == 3 * PER_MINUTE
    assert metrics.registry.get_sample_value(NARRATIVE_BASELINE, labels) == 3 * PER_MINUTE
