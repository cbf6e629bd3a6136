"""The pure stall arithmetic of `benchmarks/bench_rebalance.py`."""

from __future__ import annotations

from benchmarks.bench_rebalance import Change, stalls, steady_max_gap


def test_the_stall_is_the_longest_gap_after_a_change() -> None:
    matched = [0.0, 0.5, 0.5, 1.0, 1.5, 6.5, 7.0, 7.5, 20.0, 20.5]
    changes = [Change(1.2, "join"), Change(8.0, "leave")]
    found = stalls(matched, changes, dwell_s=5.0)
    assert [(s.change.what, s.stall_s) for s in found] == [("join", 5.0), ("leave", 12.5)]
    assert steady_max_gap(matched, [Change(1.2, "join")], dwell_s=5.0) == 12.5
    assert steady_max_gap(matched, changes, dwell_s=5.0) == 0.5


def test_a_change_with_no_gap_after_it_reports_the_rhythm() -> None:
    matched = [float(i) / 2 for i in range(20)]
    (stall,) = stalls(matched, [Change(3.1, "join")], dwell_s=2.0)
    assert stall.stall_s == 0.5
