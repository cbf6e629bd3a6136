"""Workers join and leave a live stream (`benchmarks/bench_rebalance.py`'s scenario, smaller):
every post processed, every hit in the index once, and no processing stall longer than the
group's rebalance timeout after any membership change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_rebalance import cleanup, run_scenario, scenario_settings, stalls
from pipeline.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REBALANCE_TIMEOUT_S = 15.0


def test_join_and_leave_lose_nothing_and_stall_less_than_a_rebalance(
    stack: Settings, es: Any, tmp_path: Path
) -> None:
    settings = scenario_settings(stack, tmp_path / "state", rebalance_timeout_s=REBALANCE_TIMEOUT_S)
    try:
        outcome = run_scenario(settings, es, tmp_path, rate=6.0, dwell_s=10.0, say=lambda _: None)
    finally:
        cleanup(es, settings)
    expected = {f"{post.id}:stolen-election" for post in outcome.posts}
    assert len(outcome.posts) > 100
    assert set(outcome.hits) == expected
    assert outcome.duplicates == 0
    assert outcome.posts_lag == 0
    measured = stalls(list(outcome.hits.values()), outcome.changes, 10.0)
    assert [s.change.what for s in measured] == [
        "worker 3 joins",
        "worker 1 leaves",
        "worker 2 leaves",
    ]
    for stall in measured:
        assert stall.stall_s < REBALANCE_TIMEOUT_S, stall
