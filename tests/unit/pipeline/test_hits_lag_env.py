"""Hit building, lag arithmetic, settings -> child env, demo helpers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from models.records import Explanation, Match, NarrativeRef, Post, Scores
from pipeline.agents.hits import build_hits
from pipeline.demo import is_settled
from pipeline.demo_summary import percentile
from pipeline.lag import partition_lag
from pipeline.settings import Settings
from pipeline.worker_process import settings_env


def _match(nid: str) -> Match:
    explanation = Explanation(
        summary="s",
        best_exemplar="e",
        dense_score=0.9,
        lexical_score=0.5,
        fused_score=0.8,
        threshold=0.5,
        stance="promotes",
        model_id="m",
        catalog_version="v1",
    )
    return Match(
        narrative=NarrativeRef(id=nid, title=nid, severity="high", verdict="false"),
        scores=Scores(dense=0.9, lexical=0.5, combined=0.8),
        exemplar="e",
        stance="promotes",
        explanation=explanation,
    )


@dataclass
class _Result:
    embedding: list[float]
    matches: list[Match]


def _post(n: int) -> Post:
    return Post(
        id=f"x:{n}", platform="x", source="t", text="t", created_at=datetime(2024, 1, 1, tzinfo=UTC)
    )


def test_build_hits_gives_deterministic_ids_and_outcomes() -> None:
    posts = [_post(1), _post(2)]
    results = [_Result([0.1, 0.2], [_match("a"), _match("b"), _match("a")]), _Result([0.3], [])]
    matched = build_hits(posts, results)
    assert [m.outcome for m in matched] == ["hit", "no_hit"]
    assert [h.id for h in matched[0].hits] == ["x:1:a", "x:1:b"]
    assert matched[0].hits[0].embedding == [0.1, 0.2]
    assert matched[0].hits[0].model_id == "m" and matched[0].hits[0].catalog_version == "v1"
    with pytest.raises(ValueError):
        build_hits(posts, results[:1])


def test_partition_lag() -> None:
    lag = partition_lag(
        {("p", 0): 10, ("p", 1): 5, ("p", 2): 7},
        {("p", 0): 4, ("p", 1): None, ("p", 2): 9},
        {("p", 1): 2},
    )
    assert lag == {("p", 0): 6, ("p", 1): 3, ("p", 2): 0}


def test_settings_env_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    base = Settings()
    settings = base.model_copy(
        update={
            "topics": base.topics.model_copy(update={"posts": "p-1", "partitions": 2}),
            "worker": base.worker.model_copy(update={"app_id": "g-1", "session_timeout_s": 7.5}),
        }
    )
    for key in list(os.environ):
        if key.startswith("NARRMON_"):
            monkeypatch.delenv(key)
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    assert Settings.load() == settings


def test_percentile_and_settled() -> None:
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0
    samples = {
        ("narrmon_posts_processed_total", (("outcome", "hit"), ("platform", "x"))): 3.0,
        ("narrmon_dead_lettered_total", (("reason", "oversized"), ("source", "s"))): 1.0,
        ("narrmon_hits_total", ()): 5.0,
        ("narrmon_hits_indexed_total", ()): 5.0,
    }
    assert is_settled(samples, 4)
    assert not is_settled(samples, 5)
