"""The matching agent hands each post's `created_at` date to the matcher (re-ranker dates)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from models.matching.rerank import SHIPPED_CHECKTHAT
from models.records import NarrativeRef, Post
from pipeline.agents.context import WorkerContext
from pipeline.agents.matching import match_posts_with_dates
from pipeline.app import matcher_config
from pipeline.metrics import Metrics
from pipeline.settings import MatcherSettings, Settings


class RecordingMatcher:
    model_id = "test/recording"
    catalog_version = "v0"
    dims = 2

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], list[dt.date | None] | None]] = []

    def warm_up(self) -> None:
        return None

    def narratives(self) -> list[NarrativeRef]:
        return []

    def match(
        self, texts: Sequence[str], dates: Sequence[dt.date | None] | None = None
    ) -> list[Any]:
        self.calls.append((list(texts), None if dates is None else list(dates)))
        return []


def _post(pid: str, created: str) -> Post:
    return Post(id=pid, platform="x", source="test", text=f"post {pid}", created_at=created)


def test_post_dates_reach_the_matcher() -> None:
    matcher = RecordingMatcher()
    ctx = WorkerContext(Settings(), Metrics(CollectorRegistry()), lambda: matcher, index="i")
    posts = [_post("1", "2024-11-06T23:59:00Z"), _post("2", "2020-03-01T00:00:00Z")]
    asyncio.run(match_posts_with_dates(ctx, posts))
    assert matcher.calls == [(["post 1", "post 2"], [dt.date(2024, 11, 6), dt.date(2020, 3, 1)])]


def test_reranker_is_the_live_default_and_settings_reach_the_matcher_config(
    tmp_path: Path,
) -> None:
    assert Settings().matcher.reranker is None  # unset: the shipped weights
    default = matcher_config(Settings())
    assert default.reranker is not None and default.decision == "calibrated"
    assert default.probability_threshold is None  # the calibrator's documented threshold
    linear = matcher_config(Settings(matcher=MatcherSettings(ranking="linear", decision="fused")))
    assert linear.reranker is None and linear.decision == "fused" and linear.threshold == 0.5
    settings = Settings(matcher=MatcherSettings(reranker=SHIPPED_CHECKTHAT, threshold=0.7))
    config = matcher_config(settings)
    assert config.reranker is not None and config.reranker.depth > 0
    assert config.threshold == 0.7 == config.probability_threshold
