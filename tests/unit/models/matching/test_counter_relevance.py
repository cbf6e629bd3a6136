"""Counter-exemplars make a refuting post reach its narrative; near-misses feed the calibrator."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from models.catalog.schema import Catalog, Narrative, content_version
from models.matching.calibration import FEATURES, Calibrator, calibration_features
from models.matching.matcher import MatcherConfig, NarrativeMatcher

from ..conftest import BagOfWordsEmbedder

REFUTING = "county audits found no sign of dead voters anywhere"


def _catalog(near_misses: tuple[str, ...] = ()) -> Catalog:
    return Catalog(
        name="test-counters",
        narratives=(
            Narrative(
                id="dead-voters",
                title="Dead people voted",
                exemplars=("thousands of dead people voted in the election",),
                counter_exemplars=("audits found no sign of dead voters",),
                near_misses=near_misses,
            ),
            Narrative(id="other", title="Pancakes", exemplars=("pancakes are breakfast",)),
        ),
    )


def _top(matcher: NarrativeMatcher, text: str) -> tuple[str, float]:
    (ranked,) = matcher.rank([text])
    best = ranked[0]
    return matcher.narratives()[best.narrative].id, best.dense


def test_a_refuting_post_reaches_the_narrative_through_its_counter_exemplars(
    bow_embedder: BagOfWordsEmbedder,
) -> None:
    on = NarrativeMatcher(_catalog(), bow_embedder, MatcherConfig(threshold=0.5))
    off = NarrativeMatcher(
        _catalog(), bow_embedder, MatcherConfig(threshold=0.5, counter_relevance=False)
    )
    assert on.config.counter_relevance  # the default
    narrative, dense_on = _top(on, REFUTING)
    _, dense_off = _top(off, REFUTING)
    assert narrative == "dead-voters"
    assert dense_on > 0.7 > dense_off
    (result,) = on.match([REFUTING])
    (match,) = result.matches
    # the explanation names a real exemplar (not the counter-exemplar), and the stance is debunks
    assert match.exemplar == "thousands of dead people voted in the election"
    assert match.stance == "debunks"
    # the learned default reads the packaged model's embeddings, so this test embedder gets the
    # rules (tests/unit/models/matching/test_stance_model.py covers the fall-back rule)
    assert on.stance_model is None
    rules = NarrativeMatcher(_catalog(), bow_embedder, MatcherConfig(threshold=0.5, stance="rules"))
    (by_rules,) = rules.match([REFUTING])[0].matches
    assert by_rules.stance == "debunks"
    assert by_rules.explanation.stance_evidence.startswith("closer to counter-exemplar")
    assert off.match([REFUTING])[0].matches == []


def test_background_columns_are_zero_without_near_misses() -> None:
    args = (np.asarray([0.9, 0.2]), np.asarray([0.8, 0.3]), np.zeros(2), np.full(2, np.nan))
    col = dict(zip(FEATURES, calibration_features(*args, background=0.6).T, strict=True))
    assert col["background"] == pytest.approx([0.6, 0.6])
    assert col["background_margin"] == pytest.approx([0.2, -0.3])
    none = dict(zip(FEATURES, calibration_features(*args).T, strict=True))
    assert list(none["background"]) == list(none["background_margin"]) == [0.0, 0.0]


def test_a_post_like_a_near_miss_loses_probability(bow_embedder: BagOfWordsEmbedder) -> None:
    n = len(FEATURES)
    coef = [0.0] * n
    coef[FEATURES.index("dense")] = 10.0  # p = sigmoid(10 (dense - 0.5) - 10 background)
    coef[FEATURES.index("background")] = -10.0
    mean = [0.0] * n
    mean[FEATURES.index("dense")] = 0.5
    calibrator = Calibrator(mean=tuple(mean), scale=(1.0,) * n, coef=tuple(coef), intercept=0.0,
                            threshold=0.5, margin=0.2, score="fused")  # fmt: skip
    config = MatcherConfig(decision="calibrated", calibrator=calibrator,
                           severity_threshold_offsets={})  # fmt: skip
    post = "dead people voted in the election in thousands"
    plain = NarrativeMatcher(_catalog(), bow_embedder, config)
    assert plain.background_scores(np.zeros((1, bow_embedder.dims))) == [None]
    assert [m.narrative.id for m in plain.match([post])[0].matches] == ["dead-voters"]
    near = ("people voted in the election in thousands",)
    guarded = NarrativeMatcher(_catalog(near), bow_embedder, config)
    assert guarded.match([post])[0].matches == []


def test_empty_near_misses_keep_a_catalogs_version() -> None:
    narrative = _catalog().narratives[1]
    payload = narrative.model_dump(mode="json")
    del payload["near_misses"], payload["claim_date"]
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode() + b"\n")
    assert content_version([narrative]) == digest.hexdigest()[:16]
    assert _catalog(("a near miss",)).version != _catalog().version


def test_each_narrative_gets_the_stance_model_for_its_kind(
    bow_embedder: BagOfWordsEmbedder,
) -> None:
    """With counter-exemplars the full model decides, without them the no-counter one."""
    from models.matching.stance_model import NO_COUNTER_FEATURES, STANCE_FEATURES, StanceModel

    def always(stance_index: int, features: tuple[str, ...]) -> StanceModel:
        n = len(features)
        intercept = [0.0, 0.0, 0.0]
        intercept[stance_index] = 5.0
        return StanceModel(mean=(0.0,) * n, scale=(1.0,) * n, coef=((0.0,) * n,) * 3,
                           intercept=tuple(intercept), features=features)  # fmt: skip

    matcher = NarrativeMatcher(_catalog(), bow_embedder, MatcherConfig(threshold=0.3))
    matcher.stance_model = always(1, STANCE_FEATURES)  # debunks
    matcher.stance_model_no_counter = always(2, NO_COUNTER_FEATURES)  # discusses
    (with_counter,) = matcher.match(["thousands of dead people voted in the election"])[0].matches
    assert (with_counter.narrative.id, with_counter.stance) == ("dead-voters", "debunks")
    (without,) = matcher.match(["pancakes are breakfast"])[0].matches
    assert (without.narrative.id, without.stance) == ("other", "discusses")
    assert "no counter-exemplars" in without.explanation.stance_evidence
