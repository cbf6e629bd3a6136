"""The calibrated decision: features, the hit rule, the JSON file and the matcher using it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from models.catalog.loading import load_catalog
from models.matching.calibration import (
    DEFAULT_CALIBRATOR,
    FEATURES,
    Calibrator,
    calibration_features,
    calibrator_for,
    select_hits,
)  # fmt: skip
from models.matching.matcher import MatcherConfig, NarrativeMatcher

from ..conftest import BagOfWordsEmbedder


def test_features_carry_margins_against_the_best_competitor() -> None:
    rows = calibration_features(
        np.asarray([0.9, 0.5, 0.1]), np.asarray([0.8, 0.6, 0.7]), np.asarray([0.2, 0.0, 0.1]),
        np.asarray([2.0, np.nan, -40.0]),
    )  # fmt: skip
    col = {name: rows[:, i] for i, name in enumerate(FEATURES)}
    logit = np.log(np.asarray([0.9, 0.5, 0.1]) / (1 - np.asarray([0.9, 0.5, 0.1])))
    assert col["score_logit"] == pytest.approx(logit)
    assert col["score_margin"] == pytest.approx([logit[0] - logit[1], logit[1] - logit[0],
                                                 logit[2] - logit[0]])  # fmt: skip
    assert col["dense_margin"] == pytest.approx([0.1, -0.2, -0.1])
    assert list(col["has_date"]) == [1.0, 0.0, 1.0]
    assert list(col["within_week"]) == [1.0, 0.0, 0.0]
    assert calibration_features(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)).shape == (
        0, len(FEATURES))  # fmt: skip


def test_select_hits_threshold_margin_and_cap() -> None:
    t = np.full(4, 0.3)
    assert select_hits(np.asarray([0.9, 0.75, 0.4, 0.1]), t, margin=0.2, max_hits=5) == [0, 1]
    assert select_hits(np.asarray([0.9, 0.75, 0.4, 0.1]), t, margin=1.0, max_hits=5) == [0, 1, 2]
    assert select_hits(np.asarray([0.9, 0.75, 0.4, 0.1]), t, margin=1.0, max_hits=1) == [0]
    # the most probable narrative need not be first in the ranking
    assert select_hits(np.asarray([0.5, 0.8]), np.full(2, 0.3), margin=0.1, max_hits=5) == [1]
    assert select_hits(np.asarray([0.2, 0.1]), np.full(2, 0.3), margin=1.0, max_hits=5) == []


def _calibrator(**kw: object) -> Calibrator:
    n = len(FEATURES)
    coef = [0.0] * n
    coef[FEATURES.index("score_logit")] = 20.0  # fused score 0.4 -> p 0.5
    base = Calibrator(mean=(0.4,) + (0.0,) * (n - 1), scale=(1.0,) * n, coef=tuple(coef),
                      intercept=0.0, threshold=0.5, margin=0.2, score="fused",
                      catalogs=("test-fixture",))  # fmt: skip
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_calibrator_json_round_trip_and_validation(tmp_path: Path) -> None:
    cal = _calibrator(meta={"trained_on": "x"})
    cal.save(tmp_path / "c.json")
    assert Calibrator.load(tmp_path / "c.json") == cal
    with pytest.raises(ValueError):
        _calibrator(threshold=1.5)
    with pytest.raises(ValueError):
        _calibrator(coef=(1.0,))
    (tmp_path / "bad.json").write_text('{"features": []}')
    with pytest.raises(ValueError):
        Calibrator.load(tmp_path / "bad.json")


def test_shipped_calibrators_are_found_by_catalog_name() -> None:
    assert calibrator_for("election-2024").catalogs == ("election-2024",)
    fallback = calibrator_for("a-catalog-nobody-fit")
    assert fallback == Calibrator.load(DEFAULT_CALIBRATOR)
    assert 0.0 < fallback.threshold < 1.0


def test_matcher_decides_by_probability(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    catalog = load_catalog(catalog_path)
    config = MatcherConfig(decision="calibrated", calibrator=_calibrator(),
                           severity_threshold_offsets={})  # fmt: skip
    matcher = NarrativeMatcher(catalog, bow_embedder, config)
    hit, miss = matcher.match(["Dead people voted and rigged the election", "pancakes for tea"])
    assert miss.matches == []
    (best,) = hit.matches
    assert best.narrative.id == "stolen-election"
    assert best.scores.combined > 0.5 == best.explanation.threshold
    assert "match probability" in best.explanation.summary
    stricter = dataclasses.replace(config, probability_threshold=1.0)
    strict = NarrativeMatcher(catalog, bow_embedder, stricter)
    assert strict.match(["Dead people voted and rigged the election"])[0].matches == []


def test_calibrated_matcher_refuses_a_calibrator_for_another_ranking(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    config = MatcherConfig(decision="calibrated", calibrator=_calibrator(score="rerank"))
    with pytest.raises(ValueError, match="rerank"):
        NarrativeMatcher(load_catalog(catalog_path), bow_embedder, config)


def test_falling_back_to_the_checkthat_calibrator_warns_once_per_catalog(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from models.matching import calibration

    calibration._warn_fallback.cache_clear()
    with caplog.at_level("WARNING", logger="models.matching.calibration"):
        calibrator_for("a-catalog-with-no-calibrator")
        calibrator_for("a-catalog-with-no-calibrator")
        calibrator_for("election-2024")
    (record,) = caplog.records
    assert "a-catalog-with-no-calibrator" in record.getMessage()
    assert "calibrate_train" in record.getMessage()
