"""Open-set metrics, the leave-out split and the calibrator's training helpers (no model)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from models.catalog.loading import load_catalog
from models.evaluation.batch_holdout import leave_batch_out, pooled_batch_out, subset
from models.evaluation.calibrate_train import (
    CalSamples,
    batch_metrics,
    choose,
    decision_metrics,
    out_of_fold,
)
from models.evaluation.oof_rerank import query_folds
from models.evaluation.openset import (
    OpenSetMetrics,
    Outcome,
    at_precision,
    leave_out_catalog,
    leave_out_split,
    removed_claims,
    score_outcomes,
)  # fmt: skip
from models.evaluation.openset_run import rank_open_set
from models.matching.matcher import NarrativeMatcher
from models.matching.types import MatcherConfig

from ..conftest import BagOfWordsEmbedder


def test_score_outcomes_counts_recall_top1_false_alarms_and_precision() -> None:
    outcomes = [
        Outcome(frozenset({"a"}), ("a",)),  # right
        Outcome(frozenset({"b"}), ("x", "b")),  # recalled, but top-1 wrong
        Outcome(frozenset({"c"}), ()),  # missed
        Outcome(frozenset(), ("y",)),  # false alarm
        Outcome(frozenset(), ()),  # rightly silent
    ]
    m = score_outcomes(outcomes, 0.5)
    assert (m.queries, m.present, m.absent, m.hits) == (5, 3, 2, 4)
    assert m.recall == pytest.approx(2 / 3)
    assert m.top1_accuracy == pytest.approx(1 / 3)
    assert m.false_alarm_rate == pytest.approx(1 / 2)
    assert m.hit_precision == pytest.approx(2 / 4)
    assert m.hits_per_post == pytest.approx(4 / 5)
    silent = score_outcomes([Outcome(frozenset(), ())], 0.9)
    assert silent.hit_precision == 0.0 and silent.false_alarm_rate == 0.0


def _point(t: float, recall: float, precision: float, fa: float) -> OpenSetMetrics:
    return OpenSetMetrics(t, 10, 5, 5, recall, recall, fa, precision, 1.0, 10)


def test_at_precision_takes_the_best_recall_that_reaches_the_target() -> None:
    points = [_point(0.3, 0.95, 0.80, 0.2), _point(0.5, 0.90, 0.91, 0.04),
              _point(0.7, 0.80, 0.97, 0.01)]  # fmt: skip
    assert at_precision(points, 0.9) == points[1]
    assert at_precision(points, 0.95) == points[2]
    assert at_precision(points, 0.99) is None


def test_leave_out_split_is_seeded_and_sized() -> None:
    ids = [f"q{i}" for i in range(10)]
    first = leave_out_split(ids, 0.5, seed=13)
    assert len(first) == 5 and first <= set(ids)
    assert leave_out_split(reversed(ids), 0.5, seed=13) == first
    assert leave_out_split(ids, 0.5, seed=14) != first
    with pytest.raises(ValueError):
        leave_out_split(ids, 1.5, seed=1)


def test_leave_out_catalog_drops_the_left_out_gold_claims(catalog_path: Path) -> None:
    catalog = load_catalog(catalog_path)
    removed = removed_claims({"q1": {"stolen-election"}, "q2": {"x"}}, {"q1"})
    assert removed == {"stolen-election"}
    smaller = leave_out_catalog(catalog, removed)
    assert smaller.name == catalog.name
    assert "stolen-election" not in [n.id for n in smaller.narratives]
    assert len(smaller.narratives) == len(catalog.narratives) - 1
    assert smaller.version != catalog.version


def _samples() -> CalSamples:
    """Ten posts, two candidates each: present posts' gold is candidate 0 with a high score;
    absent posts have only wrong candidates with low scores."""
    rng = np.random.default_rng(0)
    rows, labels, group, ids, gold = [], [], [], [], []
    for g in range(40):
        present = g % 2 == 0
        for rank in range(2):
            good = present and rank == 0
            rows.append([3.0 + rng.normal() if good else -1.0 + rng.normal()] + [0.0] * 8)
            labels.append(int(good))
            group.append(g)
            ids.append(f"n{g}-{rank}")
        gold.append(frozenset({f"n{g}-0"}) if present else frozenset())
    return CalSamples(np.asarray(rows), np.asarray(labels), np.asarray(group),
                      np.zeros(len(labels)), ids, gold, [str(g) for g in range(40)])  # fmt: skip


def test_calibrator_training_helpers_separate_right_from_absent() -> None:
    samples = _samples()
    probs = out_of_fold(samples, folds=4)
    assert probs[samples.labels == 1].min() > probs[samples.labels == 0].max() - 0.5
    metrics = decision_metrics(samples, probs, 0.5, margin=0.2)
    assert metrics.recall > 0.9 and metrics.false_alarm_rate < 0.1
    threshold, margin, chosen = choose(samples, probs, 0.9, 0.05)
    assert 0.0 < threshold < 1.0 and margin > 0
    assert chosen.hit_precision >= 0.9 and chosen.false_alarm_rate <= 0.05


def test_batch_metrics_split_the_decision_by_batch() -> None:
    samples = _samples()
    # every post gets its first candidate's label as probability: present posts are hits
    probs = np.asarray(samples.labels, dtype=np.float64)
    probs[2] = 0.9  # post 1 (absent, batch "news") gets a false hit
    batches = ["news" if g < 10 else None for g in range(40)]
    split = batch_metrics(samples, probs, 0.5, 0.2, batches)
    assert sorted(split) == ["news", "unbatched"]
    assert (split["news"].present, split["news"].absent) == (5, 5)
    assert split["news"].false_alarm_rate == 0.2 and split["unbatched"].false_alarm_rate == 0.0
    assert split["news"].recall == split["unbatched"].recall == 1.0
    whole = decision_metrics(samples, probs, 0.5, 0.2)
    assert whole.hits == split["news"].hits + split["unbatched"].hits


def test_subset_keeps_the_chosen_posts_rows_renumbered() -> None:
    samples = _samples()
    part = subset(samples, [g % 4 == 1 for g in range(40)])
    assert part.gold == [samples.gold[g] for g in range(1, 40, 4)]
    assert part.fold_key == [str(g) for g in range(1, 40, 4)]
    assert part.group.tolist() == [g for g in range(10) for _ in range(2)]
    assert part.cand_ids[:2] == ["n1-0", "n1-1"] and len(part.rows) == len(part.labels) == 20


def test_leave_batch_out_scores_each_batch_by_a_model_that_never_saw_it() -> None:
    samples = _samples()
    batches = [None] * 30 + ["slang"] * 10
    kw = {"folds": 3, "c": 1.0, "target_precision": 0.9, "max_false_alarm": 0.05}
    same = leave_batch_out(samples, batches, **kw)  # type: ignore[arg-type]
    assert sorted(same) == ["slang", "unbatched"]
    assert (same["slang"].present, same["slang"].absent) == (5, 5)
    assert same["slang"].recall == 1.0 and same["slang"].false_alarm_rate == 0.0
    # the last ten posts are written differently: their right candidates score like wrong ones
    rows = samples.rows.copy()
    rows[(samples.group >= 30) & (samples.labels == 1), 0] = -1.0
    unlike = CalSamples(rows, samples.labels, samples.group, samples.offset, samples.cand_ids,
                        samples.gold, samples.fold_key)  # fmt: skip
    assert leave_batch_out(unlike, batches, **kw)["slang"].recall == 0.0  # type: ignore[arg-type]


def test_pooled_batch_out_scores_every_row_by_a_model_fit_without_its_batch() -> None:
    samples = _samples()
    batches = [None] * 30 + ["slang"] * 10
    rows = samples.rows.copy()
    slang_gold = (samples.group >= 30) & (samples.labels == 1)
    rows[slang_gold, 0] = -1.0  # the slang batch's right candidates score like wrong ones
    unlike = CalSamples(rows, samples.labels, samples.group, samples.offset, samples.cand_ids,
                        samples.gold, samples.fold_key)  # fmt: skip
    seen: list[list[bool]] = []

    def rebuild(train: np.ndarray) -> CalSamples:
        seen.append(train.tolist())
        return unlike

    whole, probs = pooled_batch_out(unlike, batches, c=1.0, rebuild=rebuild)
    assert whole is unlike and probs.shape == unlike.labels.shape
    # features were rebuilt without each batch in turn, then once on everything
    assert seen == [[True] * 30 + [False] * 10, [False] * 30 + [True] * 10, [True] * 40]
    # a model that never saw slang cannot know its right candidates: they score like wrong ones
    assert probs[slang_gold].max() < 0.5
    # while CV by post, which trains on slang posts too, is not fooled as badly
    assert out_of_fold(unlike, folds=4)[slang_gold].max() > probs[slang_gold].max()
    # threshold choice on the pooled probabilities sees the slang misses
    assert decision_metrics(whole, probs, 0.5, 0.2).recall < 1.0


def test_query_folds_are_seeded_balanced_and_ignore_repeats() -> None:
    keys = [f"q{i}" for i in range(10)]
    folds = query_folds(keys + keys[:3], 5)
    assert folds == query_folds(list(reversed(keys)), 5)  # order and repeats do not matter
    assert sorted(folds) == sorted(keys)
    assert sorted(np.bincount(list(folds.values()))) == [2, 2, 2, 2, 2]
    assert folds != query_folds(keys, 5, seed=1)


def test_rank_open_set_dates_queries_by_attribution_or_the_given_day(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    matcher = NarrativeMatcher(load_catalog(catalog_path), bow_embedder, MatcherConfig())
    queries = {"q1": "Dead people voted — Bo (@bo) November 4, 2020", "q2": "Dead people voted"}
    qrels = {"q1": {"stolen-election"}, "q2": {"stolen-election"}}
    by_text = rank_open_set(matcher, queries, qrels, {"q2"})
    assert by_text.dates == [dt.date(2020, 11, 4), None]
    assert by_text.present == [frozenset(), frozenset()]  # q2 left out took the claim away
    seen = dt.date(2026, 11, 30)
    assert rank_open_set(matcher, queries, qrels, set(), seen).dates == [seen, seen]
