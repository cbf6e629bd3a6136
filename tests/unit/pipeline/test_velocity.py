"""Per-narrative velocity kept by the matching step: warm-up, steady rate, bursts, order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.velocity import NarrativeVelocity

T0 = datetime(2025, 1, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=1)


def feed(tracker: NarrativeVelocity, narrative: str, per_min: int, minutes: int, start: int = 0):
    last = None
    for minute in range(start, start + minutes):
        for i in range(per_min):
            at = T0 + timedelta(minutes=minute, seconds=i * 60 / per_min)
            last = tracker.observe(narrative, at, NOW)
    return last


def test_unknown_while_warming_up() -> None:
    tracker = NarrativeVelocity(warmup_min=10)
    velocity = feed(tracker, "a", 2, 5)
    assert velocity is not None
    assert velocity.rate_per_min is None and velocity.baseline_per_min is None
    assert "warming up" in velocity.note


def test_steady_rate_reads_as_its_baseline_right_after_warm_up() -> None:
    # the start-up bias correction: a fresh worker does not see every narrative accelerating
    velocity = feed(NarrativeVelocity(), "a", 2, 15)
    assert velocity is not None and velocity.rate_per_min and velocity.baseline_per_min
    assert velocity.rate_per_min == pytest.approx(2.0, rel=0.15)
    assert velocity.rate_per_min / velocity.baseline_per_min == pytest.approx(1.0, rel=0.2)


def test_a_burst_raises_rate_over_baseline() -> None:
    tracker = NarrativeVelocity()
    feed(tracker, "a", 1, 60)
    velocity = feed(tracker, "a", 8, 2, start=60)
    assert velocity is not None and velocity.rate_per_min and velocity.baseline_per_min
    assert velocity.rate_per_min / velocity.baseline_per_min > 2.5


def test_narratives_are_kept_apart_and_late_posts_count_where_they_belong() -> None:
    tracker = NarrativeVelocity()
    feed(tracker, "busy", 4, 30)
    quiet = tracker.observe("quiet", T0 + timedelta(minutes=30), NOW)
    busy = tracker.observe("busy", T0 + timedelta(minutes=30), NOW)
    assert quiet.rate_per_min is not None and busy.rate_per_min is not None
    assert quiet.rate_per_min < 0.5 < busy.rate_per_min
    # a post from 20 minutes ago adds less to the current rate than a post from now
    before = tracker.observe("quiet", T0 + timedelta(minutes=10), NOW)
    now = tracker.observe("quiet", T0 + timedelta(minutes=30), NOW)
    assert before.rate_per_min is not None and now.rate_per_min is not None
    assert 0 < before.rate_per_min - quiet.rate_per_min < now.rate_per_min - before.rate_per_min


def test_future_post_times_are_capped_at_the_processing_clock() -> None:
    tracker = NarrativeVelocity(warmup_min=1)
    tracker.observe("a", T0, NOW)
    velocity = tracker.observe("a", NOW + timedelta(days=365), NOW)
    assert velocity.rate_per_min is not None  # one day watched, not a year
    assert velocity.rate_per_min < 1.0


def test_half_lives_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="fast_half_life_min"):
        NarrativeVelocity(fast_half_life_min=60, slow_half_life_min=5)
