"""Claim dates in the hit decision (`MatcherConfig.claim_dates`): a monitor's post, newer than
every claim, is not sunk by an old claim date; a post older than its catalog reads every date."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from models.catalog.schema import Catalog, Narrative
from models.matching.explain import claim_date_note
from models.matching.matcher import NarrativeMatcher, live_config
from models.matching.query import claim_read_date
from models.matching.rerank import (
    FOLLOW_DAYS,
    RECENT_BEFORE_DAYS,
    after_the_fact,
    recent_claims_only,
)
from models.matching.types import Candidate, MatcherConfig

from ..conftest import BagOfWordsEmbedder

POST = "Ballots were dumped in a river by poll workers"


def test_recent_claims_only_reads_claims_long_before_the_post_as_undated() -> None:
    days = np.asarray([5.0, 0.0, -RECENT_BEFORE_DAYS, -RECENT_BEFORE_DAYS - 1, -900.0, np.nan])
    out = recent_claims_only(days)
    assert out[:3].tolist() == [5.0, 0.0, -RECENT_BEFORE_DAYS]
    assert np.isnan(out[3:]).all()
    assert days[4] == -900.0  # a copy


def test_after_the_fact_when_the_catalog_holds_claims_from_well_after_the_post() -> None:
    assert after_the_fact(1000.0, 1000.0 - FOLLOW_DAYS - 1)
    assert not after_the_fact(1000.0, 1000.0 - FOLLOW_DAYS)
    assert not after_the_fact(1000.0, 1200.0)
    assert not after_the_fact(float("nan"), 10.0)  # no dated claim


def test_claim_read_date_prefers_a_quoted_tweets_date() -> None:
    created = dt.date(2026, 11, 30)
    assert claim_read_date(POST, created) == created
    quoted = f"{POST} — Bo (@bo) November 4, 2020"
    assert claim_read_date(quoted, created) == dt.date(2020, 11, 4)


def _catalog(*claims: tuple[str, dt.date]) -> Catalog:
    return Catalog(name="dated", narratives=tuple(
        Narrative(id=i, title="Ballots dumped", claim_date=d, exemplars=(POST,))
        for i, d in claims
    ))  # fmt: skip


def _decided(
    catalog: Catalog, embedder: BagOfWordsEmbedder, mode: str, posted: dt.date
) -> tuple[list[Candidate], dict[int, float]]:
    """POST dated `posted`: its ranked candidates and each hit's probability by narrative."""
    config = live_config(claim_dates=mode, probability_threshold=0.0, hit_margin=1.0)
    matcher = NarrativeMatcher(catalog, embedder, config)
    (ranked,) = matcher.rank([POST], dates=[posted])
    hits = matcher.decide(POST.lower(), ranked, posted)
    return ranked, {h.candidate.narrative: h.candidate.fused for h in hits}


@pytest.mark.filterwarnings("ignore")
def test_a_monitor_post_is_not_sunk_by_an_old_claim_date(
    bow_embedder: BagOfWordsEmbedder,
) -> None:
    catalog = _catalog(("old", dt.date(2016, 5, 1)), ("fresh", dt.date(2026, 11, 28)))
    today = dt.date(2026, 11, 30)
    ranked, every = _decided(catalog, bow_embedder, "all", today)
    assert all(c.decision_score is None for c in ranked)
    by_recent, recent = _decided(catalog, bow_embedder, "recent", today)
    assert [c.fused for c in by_recent] == [c.fused for c in ranked]  # ranking: every date
    score = {c.narrative: c for c in by_recent}
    assert score[0].for_decision > score[0].fused  # 2016: undated, not "checked long before"
    assert score[1].for_decision == pytest.approx(score[1].fused)  # two days before: counts
    assert recent[0] > every[0]
    assert _decided(catalog, bow_embedder, "auto", today)[1] == recent  # newer than the catalog


@pytest.mark.filterwarnings("ignore")
def test_a_post_older_than_its_catalog_reads_every_date(bow_embedder: BagOfWordsEmbedder) -> None:
    catalog = _catalog(("old", dt.date(2012, 1, 1)), ("later", dt.date(2020, 11, 6)))
    posted = dt.date(2016, 3, 1)  # the catalog holds a claim from years after it
    _, every = _decided(catalog, bow_embedder, "all", posted)
    _, recent = _decided(catalog, bow_embedder, "recent", posted)
    assert _decided(catalog, bow_embedder, "auto", posted)[1] == every
    assert recent[0] != pytest.approx(every[0])


def test_training_and_the_default_config_read_every_date() -> None:
    assert MatcherConfig().claim_dates == "all"
    assert live_config().claim_dates == "auto"
    assert dataclasses.replace(live_config(), claim_dates="recent").claim_dates == "recent"


def test_claim_date_note_says_how_the_dates_stood_and_whether_one_counted() -> None:
    post = dt.date(2026, 11, 30)
    assert claim_date_note(None, post, counted=True) is None
    assert claim_date_note(dt.date(2016, 5, 1), None, counted=True) is None
    fresh = claim_date_note(dt.date(2026, 12, 2), post, counted=False)
    assert fresh == "claim dated 2026-12-02, 2 days after the post"
    assert (
        claim_date_note(post, post, counted=True)
        == "claim dated 2026-11-30, the same day as the post"
    )
    old = claim_date_note(dt.date(2026, 11, 20), post, counted=False)
    assert old is not None and "10 days before" in old and "not counted" in old
    assert "not counted" not in (claim_date_note(dt.date(2026, 11, 20), post, counted=True) or "")


@pytest.mark.filterwarnings("ignore")
def test_a_hit_explains_its_claim_date(bow_embedder: BagOfWordsEmbedder) -> None:
    catalog = _catalog(("old", dt.date(2016, 5, 1)))
    config = live_config(probability_threshold=0.0, hit_margin=1.0)
    matcher = NarrativeMatcher(catalog, bow_embedder, config)
    (today,) = matcher.match([POST], dates=[dt.date(2026, 11, 30)])
    assert "claim dated 2016-05-01" in today.matches[0].explanation.summary
    assert "not counted" in today.matches[0].explanation.summary  # newer than the catalog
    (undated,) = matcher.match([POST], dates=[None])
    assert "claim dated" not in undated.matches[0].explanation.summary
