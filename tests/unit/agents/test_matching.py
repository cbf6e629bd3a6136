"""The match step: post dates reach the matcher (re-ranker dates), hits and metrics come out."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from models.dead_letters import RecordOrigin
from models.matching.rerank import SHIPPED_CHECKTHAT
from models.records import Hit, Match, NarrativeRef, Post
from pipeline.agents.matcher import matcher_config
from pipeline.agents.matching import MatchStep
from pipeline.metrics import Metrics
from pipeline.runner import Record
from pipeline.settings import MatcherSettings, Settings
from tests.factories import make_match, make_post


@dataclass
class _Result:
    embedding: list[float]
    matches: list[Match]
    embed_seconds: float = 0.0
    match_seconds: float = 0.0


class RecordingMatcher:
    model_id = "test/recording"
    catalog_version = "v0"
    dims = 2

    def __init__(self, matches: dict[str, list[Match]] | None = None) -> None:
        self.calls: list[tuple[list[str], list[dt.date | None] | None]] = []
        self._matches = matches or {}

    def warm_up(self) -> None:
        return None

    def narratives(self) -> list[NarrativeRef]:
        return []

    def match(
        self, texts: Sequence[str], dates: Sequence[dt.date | None] | None = None
    ) -> list[_Result]:
        self.calls.append((list(texts), None if dates is None else list(dates)))
        return [_Result([0.5, 0.5], self._matches.get(t, []), 0.01, 0.002) for t in texts]


def _post(pid: str, created: str) -> Post:
    return Post(id=pid, platform="x", source="test", text=f"post {pid}", created_at=created)


def _records(posts: list[Post]) -> list[Record[Post]]:
    return [
        Record(p, p.model_dump_json().encode(), RecordOrigin(offset=i)) for i, p in enumerate(posts)
    ]


def test_post_dates_reach_the_matcher() -> None:
    matcher = RecordingMatcher()
    step = MatchStep(matcher, Metrics(CollectorRegistry()), ThreadPoolExecutor(1))
    posts = [_post("1", "2024-11-06T23:59:00Z"), _post("2", "2020-03-01T00:00:00Z")]
    asyncio.run(step.match(posts))
    assert matcher.calls == [(["post 1", "post 2"], [dt.date(2024, 11, 6), dt.date(2020, 3, 1)])]


def test_step_emits_one_hit_per_match_keyed_by_hit_id_and_counts() -> None:
    metrics = Metrics(CollectorRegistry())
    posts = [make_post(1, text="bad"), make_post(2, text="fine")]
    matcher = RecordingMatcher({"bad": [make_match("a"), make_match("b")]})
    result = asyncio.run(MatchStep(matcher, metrics, ThreadPoolExecutor(1))(_records(posts)))
    assert [o.key for o in result.outputs] == [b"x:1:a", b"x:1:b"]
    assert Hit.model_validate_json(result.outputs[0].value).post == posts[0]
    assert result.refused == ()
    get = metrics.registry.get_sample_value
    assert get("narrmon_posts_processed_total", {"platform": "x", "outcome": "hit"}) == 1
    assert get("narrmon_posts_processed_total", {"platform": "x", "outcome": "no_hit"}) == 1
    assert get("narrmon_batch_size_sum") == 2
    # typed per-post timings, summed over the batch
    assert get("narrmon_embed_seconds_sum") == 0.02
    assert get("narrmon_match_seconds_sum") == 0.004


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


def test_claim_dates_setting_reaches_the_matcher_config() -> None:
    assert matcher_config(Settings()).claim_dates == "auto"
    for mode in ("recent", "all"):
        chosen = Settings(matcher=MatcherSettings(claim_dates=mode))
        assert matcher_config(chosen).claim_dates == mode
    with pytest.raises(ValueError, match="claim_dates"):
        MatcherSettings(claim_dates="never")  # type: ignore[arg-type]


def test_stance_model_settings_reach_the_matcher_and_swapped_files_are_refused() -> None:
    from models.catalog.schema import Catalog, Narrative
    from models.matching.matcher import NarrativeMatcher
    from models.matching.stance_model import SHIPPED_STANCE, SHIPPED_STANCE_NO_COUNTER
    from tests.unit.models.conftest import BagOfWordsEmbedder

    assert matcher_config(Settings()).stance_model is None  # unset: the shipped files
    chosen = MatcherSettings(
        stance_model=SHIPPED_STANCE, stance_model_no_counter=SHIPPED_STANCE_NO_COUNTER
    )
    settings = Settings(matcher=chosen)
    config = matcher_config(settings)
    assert config.stance_model is not None and config.stance_model.uses_counter
    assert config.stance_model_no_counter is not None
    assert not config.stance_model_no_counter.uses_counter
    catalog = Catalog(name="t", narratives=(Narrative(id="a", title="A", exemplars=("a b",)),))
    embedder = BagOfWordsEmbedder()
    matcher = NarrativeMatcher(catalog, embedder, config)
    assert matcher.stance_model is config.stance_model
    assert matcher.stance_model_no_counter is config.stance_model_no_counter
    swapped = Settings(matcher=MatcherSettings(stance_model=SHIPPED_STANCE_NO_COUNTER))
    with pytest.raises(ValueError, match="swapped"):
        NarrativeMatcher(catalog, embedder, matcher_config(swapped))


def test_a_redelivered_hit_is_sent_again_but_counted_once() -> None:
    from pipeline.agents.recent_ids import RecentIds

    metrics = Metrics(CollectorRegistry())
    posts = [make_post(1, text="bad"), make_post(2, text="bad")]
    matcher = RecordingMatcher({"bad": [make_match("a")]})
    step = MatchStep(matcher, metrics, ThreadPoolExecutor(1), counted=RecentIds(capacity=1))
    first = asyncio.run(step(_records(posts)))
    again = asyncio.run(step(_records(posts[1:])))  # x:1:a was pushed out, x:2:a is recent
    third = asyncio.run(step(_records(posts[:1])))  # x:1:a is no longer recent: counted again
    assert [len(r.outputs) for r in (first, again, third)] == [2, 1, 1]
    labels = {"narrative": "a", "severity": "high", "stance": "promotes"}
    get = metrics.registry.get_sample_value
    assert get("narrmon_hits_total", {**labels, "platform": "x"}) == 3
    assert get("narrmon_hit_score_count", labels) == 3


def test_recent_ids_forget_the_least_recently_seen_first() -> None:
    from pipeline.agents.recent_ids import RecentIds

    recent = RecentIds(capacity=2)
    seen = [recent.first_time(i) for i in ("a", "b", "a", "c", "a", "b")]
    assert seen == [True, True, False, True, False, True]
    assert len(recent) == 2


def test_every_hit_carries_a_threat_and_is_counted_by_level() -> None:
    metrics = Metrics(CollectorRegistry())
    metrics.prime_narrative("a", "high")
    matcher = RecordingMatcher({"bad": [make_match("a", severity="critical")]})
    posts = [make_post(1, text="bad")]
    result = asyncio.run(MatchStep(matcher, metrics, ThreadPoolExecutor(1))(_records(posts)))
    hit = Hit.model_validate_json(result.outputs[0].value)
    assert hit.threat is not None
    assert (hit.threat.severity.points, hit.threat.score, hit.threat.level) == (
        40.0,
        40.0,
        "moderate",
    )
    get = metrics.registry.get_sample_value
    assert get("narrmon_threat_hits_total", {"narrative": "a", "level": "moderate"}) == 1
    assert get("narrmon_threat_hits_total", {"narrative": "a", "level": "severe"}) == 0
