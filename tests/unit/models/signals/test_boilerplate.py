from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from models.signals.boilerplate import BoilerplateCounts, bucket_ids

T0 = datetime(2024, 11, 5, 12, tzinfo=UTC)


def test_bucket_ids_are_stable_distinct_and_in_range() -> None:
    ids = bucket_ids(["abc", "abc", "xyz"], 1000)
    assert ids.tolist() == sorted(set(ids.tolist())) and len(ids) == 2
    assert ((ids >= 0) & (ids < 1000)).all()
    assert bucket_ids(["abc"], 1000).tolist() == bucket_ids(["abc"], 1000).tolist()


def test_counts_decay_by_half_per_half_life() -> None:
    counts = BoilerplateCounts(buckets=64, half_life=timedelta(hours=1))
    ids = np.array([3, 7], dtype=np.int64)
    assert counts.counts(ids, T0).tolist() == [0.0, 0.0]
    counts.add(ids, T0)
    counts.add(ids[:1], T0)
    assert counts.counts(ids, T0).tolist() == [2.0, 1.0]
    assert counts.counts(ids, T0 + timedelta(hours=2)).tolist() == pytest.approx([0.5, 0.25])


def test_counts_survive_rescaling_over_a_long_run() -> None:
    counts = BoilerplateCounts(buckets=8, half_life=timedelta(minutes=1))
    ids = np.array([1], dtype=np.int64)
    counts.add(ids, T0)
    later = T0 + timedelta(minutes=30)  # weight 2**30 > the rescale point
    counts.add(ids, later)
    assert counts.counts(ids, later).tolist() == pytest.approx([1.0], abs=1e-6)


@pytest.mark.parametrize("years", [2, -2, 300])
def test_dates_years_apart_in_either_order_never_overflow(years: int) -> None:
    """Posts years apart (a back-dated article, a demo re-timed to now, a hostile timestamp)
    must not raise: 2 years is ~17,500 half-lives of one hour."""
    counts = BoilerplateCounts(buckets=8, half_life=timedelta(hours=1))
    ids = np.array([1, 2], dtype=np.int64)
    far = T0 + timedelta(days=365 * years)
    counts.add(ids, T0)
    assert np.isfinite(counts.counts(ids, far)).all()
    counts.add(ids[:1], far)
    seen = counts.counts(ids, far)
    assert np.isfinite(seen).all()
    if years > 0:  # the old posts have decayed away; the new one counts fully
        assert seen.tolist() == pytest.approx([1.0, 0.0], abs=1e-6)
    else:  # read as of the origin: the back-dated post weighs nothing next to the first
        assert seen.tolist() == pytest.approx([1.0, 1.0], abs=1e-6)
    assert np.isfinite(counts.counts(ids, T0 - timedelta(days=365 * 300))).all()
