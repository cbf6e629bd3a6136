"""The spike rule on constructed series: floors, significance, cooldown, severity, time."""

from __future__ import annotations

import math
import random
from typing import Any

from models.records import Severity
from pipeline.settings import SpikeSettings
from pipeline.spikes.baseline import Baseline, ewma_alpha, judge
from pipeline.spikes.detector import SpikeDetector, WindowResult
from pipeline.spikes.records import Spike
from tests.unit.spikes.conftest import HitFactory, at_minute

SETTINGS = SpikeSettings(by_platform=False, grace_s=0)


def run(
    detector: SpikeDetector,
    make_hit: HitFactory,
    counts: list[int],
    *,
    authors_per_minute: int = 50,
    severity: Severity = "medium",
    start: int = 0,
) -> list[WindowResult]:
    """Feed `counts[i]` hits in minute `start + i`, spread over distinct authors, closing each
    minute as the clock passes it. Returns every closed-window result."""
    results: list[WindowResult] = []
    for i, count in enumerate(counts):
        minute = start + i
        for j in range(count):
            author = f"u{j % authors_per_minute}"
            detector.observe(make_hit(minute + j / (count + 1), author=author, severity=severity))
        results += detector.close_due(at_minute(minute + 1))
    return results


def spikes(results: list[WindowResult]) -> list[Spike]:
    return [r.spike for r in results if r.spike is not None]


def mean(detector: SpikeDetector, key: str = "n-vaccine-chips") -> float:
    baseline = detector.baseline(key)
    assert baseline is not None
    return baseline.mean


def test_variance_floor_keeps_z_finite_on_zero_baseline() -> None:
    verdict = judge(5, 5, Baseline(), SETTINGS.critical, variance_floor=1.0)
    assert math.isfinite(verdict.z)
    assert verdict.z == 5.0
    assert verdict.is_spike


def test_poisson_variance_is_a_floor_for_a_steady_baseline() -> None:
    # A perfectly steady 9/min narrative has EWMA variance ~0; the Poisson floor (sd = 3) applies.
    verdict = judge(21, 10, Baseline(mean=9.0, var=0.0), SETTINGS.medium, variance_floor=1.0)
    assert verdict.sd == 3.0
    assert verdict.z == 4.0


def test_ewma_alpha_halves_in_half_life() -> None:
    alpha = ewma_alpha(60)
    assert math.isclose((1 - alpha) ** 60, 0.5)


def test_one_account_flooding_does_not_trigger(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SETTINGS)
    results = run(detector, make_hit, [0] * 20 + [200] + [0] * 5, authors_per_minute=1)
    assert spikes(results) == []
    flood = next(r for r in results if r.count == 200)
    assert flood.distinct_authors == 1
    assert flood.z > 100  # significant, but not broad


def test_posts_without_author_count_as_one_author(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SETTINGS)
    run(detector, make_hit, [0] * 20)
    for j in range(100):
        detector.observe(make_hit(20 + j / 101, author=None))
    results = detector.close_due(at_minute(21))
    assert spikes(results) == []
    assert results[0].distinct_authors == 1


def test_quiet_noisy_baseline_never_triggers(make_hit: HitFactory) -> None:
    rng = random.Random(7)
    # Busy but ordinary: ~Poisson(10) per minute for four hours, many authors, medium severity
    # (floor 15 hits is often cleared; the significance test is what holds).
    counts = [sum(rng.random() < 0.1 for _ in range(100)) for _ in range(240)]
    assert max(counts) >= SETTINGS.medium.min_volume
    detector = SpikeDetector(SETTINGS)
    results = run(detector, make_hit, counts)
    assert spikes(results) == []
    assert 8 < results[-1].baseline < 12


def test_real_burst_triggers_once_with_cooldown(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SETTINGS)
    counts = [2, 3, 1, 2, 2, 3, 2, 1, 2, 2, 3, 2] + [40, 45, 50, 42] + [2] * 5
    results = run(detector, make_hit, counts)
    found = spikes(results)
    assert len(found) == 1
    spike = found[0]
    assert spike.window_start == at_minute(12)
    assert spike.count == 40
    assert spike.distinct_authors == 40
    assert spike.z >= SETTINGS.medium.min_z
    assert 1.0 < spike.baseline < 3.0
    assert spike.id == f"n-vaccine-chips:{at_minute(12).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    assert len(spike.examples) == SETTINGS.max_examples
    assert spike.top_authors[0].posts == 1


def test_burst_after_cooldown_triggers_again(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SETTINGS.model_copy(update={"cooldown_min": 5}))
    counts = [1] * 12 + [40] + [1] * 10 + [80]
    assert len(spikes(run(detector, make_hit, counts))) == 2


def test_critical_thresholds_are_lower(make_hit: HitFactory) -> None:
    counts = [0] * 12 + [8] + [0] * 3
    medium = spikes(run(SpikeDetector(SETTINGS), make_hit, counts, severity="medium"))
    critical = spikes(run(SpikeDetector(SETTINGS), make_hit, counts, severity="critical"))
    assert medium == []
    assert len(critical) == 1
    assert critical[0].severity == "critical"
    assert critical[0].min_volume == SETTINGS.critical.min_volume


def test_no_spike_during_warmup(make_hit: HitFactory) -> None:
    counts = [0, 0, 60, 0]
    assert spikes(run(SpikeDetector(SETTINGS), make_hit, counts)) == []
    cold = SETTINGS.model_copy(update={"warmup_min": 0})
    assert len(spikes(run(SpikeDetector(cold), make_hit, counts))) == 1


def test_new_key_is_judged_against_zeros_since_start(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SETTINGS)
    run(detector, make_hit, [1] * 15)  # another narrative keeps the clock going
    for j in range(20):
        detector.observe(make_hit(15.5, author=f"x{j}", narrative="n-new"))
    found = spikes(detector.close_due(at_minute(16)))
    assert [s.narrative_id for s in found] == ["n-new"]


def test_quiet_minutes_close_with_zero_and_decay_the_baseline(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SETTINGS)
    run(detector, make_hit, [10] * 30)
    before = mean(detector)
    results = detector.close_due(at_minute(40))
    assert [(r.count, r.minute - results[0].minute) for r in results] == [(0, 0)]
    after = mean(detector)
    assert after < before
    assert math.isclose(after, before * (1 - ewma_alpha(60)) ** 10)


def test_platform_keys_are_judged_separately(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SETTINGS.model_copy(update={"by_platform": True}))
    run(detector, make_hit, [1] * 12)
    for j in range(30):
        detector.observe(make_hit(12.5, author=f"m{j}", platform="mastodon"))
    found = spikes(detector.close_due(at_minute(13)))
    assert sorted((s.platform or "*") for s in found) == ["*", "mastodon"]
    assert {s.id.split(":")[0] for s in found} == {"n-vaccine-chips", "n-vaccine-chips|mastodon"}


def test_late_hit_counts_in_the_next_open_minute(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SETTINGS)
    run(detector, make_hit, [1] * 3)
    detector.observe(make_hit(0.5, author="late"))  # minute 0 closed long ago
    results = detector.close_due(at_minute(4))
    assert [(r.count, r.minute) for r in results] == [(1, results[0].minute)]
    assert results[0].minute == detector.minute_of(at_minute(3))


def test_baselines_round_trip_through_a_store(make_hit: HitFactory) -> None:
    store: dict[str, dict[str, Any]] = {}
    first = SpikeDetector(SETTINGS, store)
    run(first, make_hit, [5] * 20)
    assert first.flush() == ["n-vaccine-chips"]
    restored = Baseline.from_dict(store["n-vaccine-chips"]["keys"]["n-vaccine-chips"]["baseline"])
    assert restored.minutes == 20
    assert restored.mean == 5.0
    # A restarted detector with the same store keeps judging against the learnt level.
    second = SpikeDetector(SETTINGS, store)
    results = run(second, make_hit, [5], start=20)
    assert results[0].baseline == restored.mean


def test_close_due_waits_for_grace(make_hit: HitFactory) -> None:
    detector = SpikeDetector(SETTINGS.model_copy(update={"grace_s": 5}))
    detector.observe(make_hit(0.5))
    assert detector.close_due(at_minute(1.05)) == []
    assert [r.count for r in detector.close_due(at_minute(1.1))] == [1]
