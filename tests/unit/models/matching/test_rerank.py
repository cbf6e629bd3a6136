"""The re-ranker's pure parts (post dates, claim dates, features, weights) and the matcher using
it, with the bag-of-words embedder; the real-model eval on a CheckThat! slice is in
`test_claims_eval_slow.py`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from models.catalog.loading import load_catalog
from models.catalog.schema import Catalog, Narrative, content_version
from models.catalog.vclaims import vclaim_narrative
from models.evaluation.claims_eval import run_claims_eval
from models.matching.matcher import MatcherConfig, NarrativeMatcher
from models.matching.query import post_date
from models.matching.rerank import FEATURES, SHIPPED_CHECKTHAT, Evidence, Reranker, feature_matrix

from ..conftest import BagOfWordsEmbedder


def test_post_date_reads_tweet_attributions_only() -> None:
    assert post_date("Claim https://t.co/x — Ann (@ann) February 25, 2016") == dt.date(2016, 2, 25)
    assert post_date("Claim — Ann (@ann) 3 May 2019 ") == dt.date(2019, 5, 3)
    assert post_date("The vote is on February 25, 2016") is None
    assert post_date("Claim — Ann (@ann) February 31, 2016") is None


def test_vclaim_date_becomes_claim_date() -> None:
    dated = vclaim_narrative({"vclaim_id": "c1", "vclaim": "A claim.", "date": "26 May 2015"})
    undated = vclaim_narrative({"vclaim_id": "c2", "vclaim": "A claim.", "date": "soon"})
    assert dated is not None and dated.claim_date == dt.date(2015, 5, 26)
    assert undated is not None and undated.claim_date is None


def test_claim_date_counts_in_the_version_only_when_set() -> None:
    base = Narrative(id="n", title="T", exemplars=("x",))
    payload = base.model_dump(mode="json", exclude={"claim_date"})
    legacy = Narrative.model_validate(payload)
    assert content_version([base]) == content_version([legacy])
    dated = base.model_copy(update={"claim_date": dt.date(2020, 1, 1)})
    assert content_version([dated]) != content_version([base])


def _evidence(days: list[float]) -> Evidence:
    n = len(days)
    ramp = np.linspace(0.9, 0.5, n)
    return Evidence(ramp, ramp / 2, ramp, ramp, ramp, ramp, np.asarray(days, dtype=np.float64))


def test_features_gaps_ranks_and_neutral_missing_dates() -> None:
    rows = feature_matrix(_evidence([3.0, float("nan"), -400.0]))
    col = {name: rows[:, i] for i, name in enumerate(FEATURES)}
    assert rows.shape == (3, len(FEATURES))
    assert col["dense_gap"][0] == 0.0 and col["dense_gap"][2] == pytest.approx(-0.4)
    assert col["log_rank"].tolist() == pytest.approx([0.0, np.log(2), np.log(3)])
    assert col["has_date"].tolist() == [1.0, 0.0, 1.0]
    assert col["within_week"].tolist() == [1.0, 0.0, 0.0]
    assert col["after_log"][0] == pytest.approx(np.log(4)) and col["before_log"][0] == 0.0
    assert col["before_log"][2] == pytest.approx(np.log(401))
    for name in ("after_log", "before_log", "within_week", "within_month"):
        assert col[name][1] == 0.0  # no date: no evidence either way
    assert feature_matrix(_evidence([])).shape == (0, len(FEATURES))


def test_shipped_weights_load_round_trip_and_prefer_a_fresh_fact_check(tmp_path: Path) -> None:
    reranker = Reranker.load(SHIPPED_CHECKTHAT)
    assert reranker.meta["trained_on"] == "train.queries.tsv"
    rows = feature_matrix(_evidence([2.0, 2.0]))
    stale = feature_matrix(_evidence([-900.0, -900.0]))
    assert np.all((reranker.score(rows) > 0) & (reranker.score(rows) < 1))
    assert reranker.score(rows)[0] > reranker.score(stale)[0]
    reranker.save(tmp_path / "r.json")
    again = Reranker.load(tmp_path / "r.json")
    assert again.score(rows).tolist() == reranker.score(rows).tolist()
    with pytest.raises(ValueError, match="features"):
        dataclasses.replace(reranker, features=FEATURES[:-1])


def _dated(id_: str, claim_date: dt.date) -> Narrative:
    return Narrative(id=id_, title="Ballots dumped", claim_date=claim_date,
                     exemplars=("Ballots were dumped in a river",))  # fmt: skip


def test_matcher_reranks_by_date_and_scores_are_probabilities(
    bow_embedder: BagOfWordsEmbedder,
) -> None:
    catalog = Catalog(
        name="twins",
        narratives=(_dated("old", dt.date(2012, 1, 1)), _dated("new", dt.date(2020, 11, 6))),
    )
    config = MatcherConfig(threshold=0.0, reranker=Reranker.load(SHIPPED_CHECKTHAT))
    matcher = NarrativeMatcher(catalog, bow_embedder, config)
    (by_text,) = matcher.rank(["Ballots were dumped in a river — Bo (@bo) November 4, 2020"])
    assert [c.narrative for c in by_text] == [1, 0]
    (by_arg,) = matcher.rank(["Ballots were dumped in a river"], dates=[dt.date(2012, 1, 1)])
    assert [c.narrative for c in by_arg] == [0, 1]
    (result,) = matcher.match(["Ballots were dumped in a river"], dates=[dt.date(2020, 11, 5)])
    assert [m.narrative.id for m in result.matches] == ["new", "old"]
    assert all(0.0 < m.scores.combined < 1.0 for m in result.matches)


def test_yaml_catalog_without_dates_still_matches(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    config = MatcherConfig(threshold=0.0, reranker=Reranker.load(SHIPPED_CHECKTHAT))
    matcher = NarrativeMatcher(load_catalog(catalog_path), bow_embedder, config)
    (result,) = matcher.match(["Dead people voted and rigged the election! https://t.co/x"])
    assert result.matches[0].narrative.id == "stolen-election"


def test_rerank_fusion_needs_a_reranker(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    matcher = NarrativeMatcher(load_catalog(catalog_path), bow_embedder, MatcherConfig())
    with pytest.raises(ValueError, match="re-ranker"):
        run_claims_eval(matcher, {"q": "x"}, {"q": {"stolen-election"}}, fusion="rerank")
