"""Targeting in the match step: blocks on hits, the synthetic ``targeting`` hit, the counter,
the unmatched store, and the screen running on the model thread."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import CollectorRegistry

from models.dead_letters import RecordOrigin
from models.records import Hit, Post, Targeting
from models.signals.emerging import EmergingConfig, UnmatchedStore
from models.signals.targeting_classifier import TargetingClassifier
from pipeline.agents.matching import MatchStep
from pipeline.agents.recent_ids import RecentIds
from pipeline.metrics import Metrics
from pipeline.runner import Record
from pipeline.signals.screening import PostScreen
from pipeline.signals.targeting import TARGETING_NARRATIVE_ID
from tests.factories import make_match, make_post
from tests.unit.agents.test_matching import RecordingMatcher

DOXXING = (
    "The poll worker at Lincoln school is Dana Whitcombe, she lives on Elm Street. "
    "Go find her and make her answer."
)
THANKS = "Thank you to every poll worker who kept the lines moving today!"


def _records(posts: list[Post]) -> list[Record[Post]]:
    return [
        Record(p, p.model_dump_json().encode(), RecordOrigin(offset=i)) for i, p in enumerate(posts)
    ]


def _hits(outputs: Sequence[object]) -> list[Hit]:
    return [Hit.model_validate_json(o.value) for o in outputs]  # type: ignore[attr-defined]


def _step(matcher: RecordingMatcher, metrics: Metrics, **screen: object) -> MatchStep:
    return MatchStep(
        matcher,
        metrics,
        ThreadPoolExecutor(1),
        screen=PostScreen(metrics, **screen),  # type: ignore[arg-type]
    )


def test_an_unmatched_targeting_post_becomes_one_hit_on_the_synthetic_narrative() -> None:
    metrics = Metrics(CollectorRegistry())
    posts = [make_post(1, text=DOXXING), make_post(2, text=THANKS)]
    result = asyncio.run(_step(RecordingMatcher(), metrics)(_records(posts)))
    (hit,) = _hits(result.outputs)
    assert hit.id == f"x:1:{TARGETING_NARRATIVE_ID}"
    assert hit.narrative.id == TARGETING_NARRATIVE_ID and hit.narrative.severity == "critical"
    assert hit.targeting is not None and hit.targeting.flag
    assert hit.scores.combined == hit.targeting.score > 0.5
    kinds = {span.kind for span in hit.targeting.evidence}
    assert {"role", "call_to_action", "person"} <= kinds
    for span in hit.targeting.evidence:
        assert DOXXING[span.start : span.end] == span.text
    assert hit.embedding == [0.5, 0.5]
    get = metrics.registry.get_sample_value
    assert get("narrmon_targeting_posts_total") == 1
    assert get("narrmon_hits_total", {"narrative": "targeting", "severity": "critical",
                                      "platform": "x", "stance": "unknown"}) == 1  # fmt: skip
    assert get("narrmon_posts_processed_total", {"platform": "x", "outcome": "hit"}) == 1


def test_matched_posts_carry_their_targeting_block_and_get_no_synthetic_hit() -> None:
    metrics = Metrics(CollectorRegistry())
    posts = [make_post(1, text=DOXXING), make_post(2, text=THANKS)]
    matcher = RecordingMatcher({DOXXING: [make_match("a")], THANKS: [make_match("b")]})
    hits = _hits(asyncio.run(_step(matcher, metrics)(_records(posts))).outputs)
    assert [h.id for h in hits] == ["x:1:a", "x:2:b"]
    flagged, thanks = (h.targeting for h in hits)
    assert flagged is not None and flagged.flag
    assert thanks is not None and not thanks.flag and thanks.score < 0.5
    assert metrics.registry.get_sample_value("narrmon_targeting_posts_total") == 1


def test_a_redelivered_targeting_post_is_sent_again_but_counted_once() -> None:
    metrics = Metrics(CollectorRegistry())
    step = _step(RecordingMatcher(), metrics, counted=RecentIds())
    records = _records([make_post(1, text=DOXXING)])
    first, again = asyncio.run(step(records)), asyncio.run(step(records))
    assert len(first.outputs) == len(again.outputs) == 1
    assert metrics.registry.get_sample_value("narrmon_targeting_posts_total") == 1


def test_the_screen_can_be_switched_off() -> None:
    metrics = Metrics(CollectorRegistry())
    matcher = RecordingMatcher({DOXXING: [make_match("a")]})
    posts = [make_post(1, text=DOXXING), make_post(2, text=DOXXING + " again")]
    (hit,) = _hits(asyncio.run(_step(matcher, metrics, targeting=False)(_records(posts))).outputs)
    assert hit.targeting is None
    assert metrics.registry.get_sample_value("narrmon_targeting_posts_total") == 0


def test_posts_matching_no_catalog_narrative_go_to_the_unmatched_store() -> None:
    store = UnmatchedStore(EmergingConfig())
    matcher = RecordingMatcher({"matched": [make_match("a")]})
    posts = [make_post(1, text="matched"), make_post(2, text="chatter"), make_post(3, text=DOXXING)]
    asyncio.run(_step(matcher, Metrics(CollectorRegistry()), unmatched=store)(_records(posts)))
    kept = store.window(posts[0].created_at, EmergingConfig().window)
    assert [p.post_id for p in kept] == ["x:2", "x:3"]
    assert kept[0].embedding.tolist() == [0.5, 0.5]


def test_the_screen_runs_on_the_model_thread_with_the_matcher() -> None:
    threads: list[str] = []

    class Recording(PostScreen):
        def screen_texts(
            self,
            texts: Sequence[str],
            embeddings: Sequence[Sequence[float]] | None = None,
            with_hits: Sequence[bool] | None = None,
        ) -> list[Targeting | None]:
            threads.append(threading.current_thread().name)
            return super().screen_texts(texts, embeddings, with_hits)

    metrics = Metrics(CollectorRegistry())
    executor = ThreadPoolExecutor(1, thread_name_prefix="model")
    step = MatchStep(RecordingMatcher(), metrics, executor, screen=Recording(metrics))
    asyncio.run(step(_records([make_post(1, text=DOXXING)])))
    assert threads and threads[0].startswith("model")


def _classifier(intercept: float) -> TargetingClassifier:
    return TargetingClassifier(coef=(1.0, 1.0), intercept=intercept, threshold=0.6)


def test_with_a_classifier_its_probability_decides_and_a_role_is_still_required() -> None:
    metrics = Metrics(CollectorRegistry())
    no_role = "Find her. You know what to do."
    posts = [make_post(1, text=DOXXING), make_post(2, text=no_role)]
    confident = _step(RecordingMatcher(), metrics, classifier=_classifier(3.0))
    (hit,) = _hits(asyncio.run(confident(_records(posts))).outputs)
    assert hit.post.id == "x:1" and hit.targeting is not None and hit.targeting.flag
    assert hit.targeting.score == pytest.approx(1 / (1 + math.exp(-4.0)), abs=1e-4)
    assert hit.explanation.threshold == 0.6
    assert {"role", "call_to_action"} <= {span.kind for span in hit.targeting.evidence}
    doubtful = _step(RecordingMatcher(), Metrics(CollectorRegistry()), classifier=_classifier(-3.0))
    assert asyncio.run(doubtful(_records(posts))).outputs == []


def test_embeddings_of_another_size_fall_back_to_the_patterns() -> None:
    screen = PostScreen(Metrics(CollectorRegistry()), classifier=_classifier(-9.0))
    (block,) = screen.screen_texts([DOXXING], [[0.1, 0.2, 0.3]])
    assert block is not None and block.flag


def test_below_the_classifier_threshold_evidence_is_kept_only_for_posts_with_hits() -> None:
    screen = PostScreen(Metrics(CollectorRegistry()), classifier=_classifier(-3.0))
    with_hit, without = screen.screen_texts([DOXXING, DOXXING], [[0.5, 0.5]] * 2, [True, False])
    assert with_hit is not None and without is not None
    assert not with_hit.flag and not without.flag
    assert with_hit.score == without.score == pytest.approx(1 / (1 + math.exp(2.0)), abs=1e-4)
    assert "role" in {span.kind for span in with_hit.evidence}
    assert without.evidence == ()
    # above the threshold the evidence (and the role rule) applies with or without hits
    (flagged,) = PostScreen(Metrics(CollectorRegistry()), classifier=_classifier(3.0)).screen_texts(
        [DOXXING], [[0.5, 0.5]], [False]
    )
    assert flagged is not None and flagged.flag and flagged.evidence
