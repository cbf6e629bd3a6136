"""Claim and post coverage: the IDF-weighted shares the calibrator reads, and the matcher
feeding them to a calibrator that names them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from models.catalog.loading import load_catalog
from models.matching.calibration import FEATURES, Calibrator
from models.matching.coverage import (
    COVERAGE_FEATURES,
    coverage_row,
    coverage_rows,
    idf_share,
    weigh,
)
from models.matching.decision import calibrated_probabilities
from models.matching.lexical import LexicalIndex, tokenize
from models.matching.matcher import MatcherConfig, NarrativeMatcher

from ..conftest import BagOfWordsEmbedder

IDF = {"rare": 3.0, "common": 1.0, "other": 2.0}.__getitem__


def _set(*tokens: str) -> frozenset[str]:
    return frozenset(tokens)


def test_idf_share_weighs_rare_words_more() -> None:
    assert idf_share(_set("rare", "common"), _set("rare"), IDF) == pytest.approx(0.75)
    assert idf_share(_set("rare", "common"), _set("common"), IDF) == pytest.approx(0.25)
    assert idf_share(_set(), _set("rare"), IDF) == 0.0


def test_coverage_row_is_the_best_over_exemplars_in_both_directions() -> None:
    post = weigh(["rare", "other"], IDF)
    exemplars = [weigh(e, IDF) for e in (["common"], ["rare", "common"], ["other"])]
    # claim side: the post says all of "other" (and 3 of 4 of "rare common");
    # post side: "rare common" holds 3 of the post's 5 (and "other" 2 of 5)
    assert coverage_row(post, exemplars, IDF) == pytest.approx([1.0, 3.0 / 5.0])
    assert coverage_rows(post, [], IDF).shape == (0, len(COVERAGE_FEATURES))
    rows = coverage_rows(post, [[weigh(["rare"], IDF)], [weigh(["common"], IDF)]], IDF)
    assert rows[:, 0] == pytest.approx([1.0, 0.0])


def test_weigh_sums_exactly_whatever_the_set_order() -> None:
    # a plain left-to-right sum loses each 1.0 added after 1e16 (float spacing there is 2), so
    # its result would depend on the order the set iterates in
    weights = {"big": 1e16, **{f"t{i}": 1.0 for i in range(10)}}
    assert weigh(weights, weights.__getitem__).mass == 1e16 + 10


def test_lexical_idf_gives_unknown_words_the_zero_frequency_idf() -> None:
    index = LexicalIndex(["ballots burned in ohio", "ballots counted twice", "moon landing fake"])
    (ballot,) = tokenize("ballots")
    (ohio,) = tokenize("ohio")
    assert index.idf(ohio) > index.idf(ballot) > 0.0
    assert index.idf("zanzibar") > index.idf(ohio)  # in no document: rarer than any


def _coverage_calibrator() -> Calibrator:
    names = FEATURES + COVERAGE_FEATURES
    coef = [0.0] * len(names)
    coef[names.index("claim_coverage")] = 40.0  # p >= 0.5 once the post says half the claim
    mean = [0.0] * len(names)
    mean[names.index("claim_coverage")] = 0.5
    return Calibrator(mean=tuple(mean), scale=(1.0,) * len(names), coef=tuple(coef),
                      intercept=0.0, threshold=0.5, margin=0.2, score="fused",
                      features=names, catalogs=("test-fixture",))  # fmt: skip


def test_calibrator_with_coverage_needs_the_rows() -> None:
    cal = _coverage_calibrator()
    assert cal.coverage
    assert not dataclasses.replace(cal, features=FEATURES, mean=cal.mean[:-2],
                                   scale=cal.scale[:-2], coef=cal.coef[:-2]).coverage  # fmt: skip
    with pytest.raises(ValueError, match="features"):
        dataclasses.replace(cal, features=FEATURES + COVERAGE_FEATURES[::-1])
    with pytest.raises(ValueError, match="coverage"):
        calibrated_probabilities(cal, [], np.zeros(0))


def test_matcher_feeds_coverage_to_a_calibrator_that_reads_it(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder, tmp_path: Path
) -> None:
    catalog = load_catalog(catalog_path)
    config = MatcherConfig(decision="calibrated", calibrator=_coverage_calibrator(),
                           severity_threshold_offsets={})  # fmt: skip
    matcher = NarrativeMatcher(catalog, bow_embedder, config)
    said, topical = matcher.match([
        "Dead people voted and the election was rigged",  # an exemplar's words
        "The election is next week, go vote",  # shares only the topic
    ])  # fmt: skip
    assert [m.narrative.id for m in said.matches] == ["stolen-election"]
    assert topical.matches == []
    ranked = matcher.rank(["Dead people voted and the election was rigged"])[0]
    rows = matcher.coverage_rows("Dead people voted and the election was rigged", ranked[:3])
    assert rows.shape == (min(3, len(ranked)), 2)
    assert rows[0, 0] > 0.5 >= rows[-1, 0]


def test_calibrator_training_rows_carry_the_coverage_the_live_path_computes(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    from models.evaluation.calibrate_train import collect_posts
    from models.evaluation.posts_eval import LabelledPost
    from models.matching.query import clean_post_text

    matcher = NarrativeMatcher(load_catalog(catalog_path), bow_embedder, MatcherConfig())
    posts = [LabelledPost("Dead people voted and the election was rigged", "stolen-election",
                          id="a"), LabelledPost("pancakes for tea", None, id="b")]  # fmt: skip
    plain = collect_posts(matcher, posts)
    covered = collect_posts(matcher, posts, coverage=True)
    assert plain.rows.shape[1] == len(FEATURES)
    assert covered.rows.shape[1] == len(FEATURES) + len(COVERAGE_FEATURES)
    assert np.array_equal(covered.rows[:, : len(FEATURES)], plain.rows)
    first = covered.group == 0
    ranked = matcher.rank([posts[0].text])[0][: int(first.sum())]
    live = matcher.coverage_rows(clean_post_text(posts[0].text), ranked)
    assert np.array_equal(covered.rows[first, len(FEATURES) :], live)
