"""The matcher's own logic (thresholds, rules, stance, explanations) with a bag-of-words
embedder; the one test with the real model is marked slow."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from models.catalog.loading import load_catalog
from models.matching.matcher import MatcherConfig, NarrativeMatcher, load_matcher

from ..conftest import BagOfWordsEmbedder


@pytest.fixture
def matcher(catalog_path: Path, bow_embedder: BagOfWordsEmbedder) -> NarrativeMatcher:
    config = MatcherConfig(threshold=0.3, severity_threshold_offsets={})
    return NarrativeMatcher(load_catalog(catalog_path), bow_embedder, config)


def test_constructor_is_cheap_and_lists_active_narratives(catalog_path: Path) -> None:
    matcher = load_matcher(catalog_path)
    assert matcher.embedder._model is None
    assert [n.id for n in matcher.narratives()] == ["stolen-election", "voting-machines-flip"]
    assert matcher.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(matcher.catalog_version) == 16


def test_match_explains_every_hit(matcher: NarrativeMatcher) -> None:
    (result,) = matcher.match(["Dead people voted and rigged the election! https://t.co/x"])
    assert len(result.embedding) == 256
    best = result.matches[0]
    assert best.narrative.id == "stolen-election"
    assert best.exemplar == "Dead people voted and rigged the election"
    expl = best.explanation
    assert expl.best_exemplar_index == 1
    assert expl.fused_score == pytest.approx(best.scores.combined)
    assert expl.fused_score >= expl.threshold == 0.3
    assert expl.keywords_matched == ("rigged",)
    assert expl.stance == best.stance == "promotes"
    assert expl.model_id == "test/bag-of-words"
    assert expl.catalog_version == matcher.catalog_version
    assert "stolen" in expl.summary.lower() and "0." in expl.summary


def test_threshold_and_required_terms(matcher: NarrativeMatcher) -> None:
    unrelated, no_term, with_term, empty = matcher.match(
        [
            "I had pancakes for breakfast",
            "Voting computers secretly switched votes to the other candidate",
            "Voting machine secretly switched votes to the other candidate",
            "   ",
        ]
    )
    assert unrelated.matches == []
    assert "voting-machines-flip" not in [m.narrative.id for m in no_term.matches]
    assert with_term.matches[0].narrative.id == "voting-machines-flip"
    assert empty.matches == []


def test_top_k_and_debunk_stance(matcher: NarrativeMatcher) -> None:
    strict = NarrativeMatcher(matcher.catalog, matcher.embedder,
                              dataclasses.replace(matcher.config, top_k=1))  # fmt: skip
    (result,) = strict.match(["Fact check: no evidence of fraud, the election was not stolen"])
    assert len(result.matches) == 1
    assert result.matches[0].stance == "debunks"


@pytest.mark.slow
def test_packaged_model_end_to_end(catalog_path: Path, tmp_path: Path) -> None:
    matcher = load_matcher(catalog_path, cache_dir=tmp_path)
    matcher.warm_up()
    assert matcher.dims == 384
    (hit, miss) = matcher.match(["They rigged the 2020 election with fake ballots", "Nice weather"])
    assert hit.matches[0].narrative.id == "stolen-election"
    assert miss.matches == []
    assert list((tmp_path / "embeddings").rglob("*.keys.npy"))


def test_severity_offset_lowers_the_threshold_but_a_narrative_threshold_wins() -> None:
    config = MatcherConfig(threshold=0.5, severity_threshold_offsets={"critical": -0.05})
    assert config.threshold_for("critical") == pytest.approx(0.45)
    assert config.threshold_for("medium") == 0.5
    assert config.threshold_for("critical", own=0.7) == 0.7
    default = MatcherConfig()
    assert default.threshold_for("high") == default.threshold_for("critical") == 0.475
    assert default.threshold_for("low") == 0.5


def test_match_applies_the_severity_offset(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    catalog = load_catalog(catalog_path)
    text = "Dead people voted and rigged the election"
    plain = NarrativeMatcher(catalog, bow_embedder, MatcherConfig(severity_threshold_offsets={}))
    (cand,) = plain.rank([text], k=1)[0]
    severity = catalog.active[cand.narrative].severity
    above = MatcherConfig(threshold=cand.fused + 0.01, severity_threshold_offsets={})
    assert NarrativeMatcher(catalog, bow_embedder, above).match([text])[0].matches == []
    lowered = dataclasses.replace(above, severity_threshold_offsets={severity: -0.02})
    (result,) = NarrativeMatcher(catalog, bow_embedder, lowered).match([text])
    assert result.matches[0].explanation.threshold == pytest.approx(cand.fused - 0.01)
