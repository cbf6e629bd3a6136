"""Out-of-fold re-ranking for calibrator training on the split the re-ranker was fit on.

The shipped re-ranker was fit on the CheckThat! TRAIN queries (closed set), so its logit on those
very queries is optimistic, and a calibrator fit on it learns to trust the logit more than it
deserves on unseen posts. `fold_rerankers` fits one re-ranker per fold (the same
`models.evaluation.rerank_train.fit`, closed set, on the queries of the other folds) and
`rank_open_set_oof` ranks each query with the re-ranker that never saw it, so the calibrator
sees logits as they will be live. Folds are by query id (`query_folds`, the same seeded
assignment `models.evaluation.calibrate_train.out_of_fold` uses), so a query's calibrator fold and
its re-ranker fold agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np

from models.evaluation.openset_run import RankedOpenSet, rank_open_set
from models.evaluation.rerank_train import Samples, collect, fit
from models.matching.matcher import NarrativeMatcher
from models.matching.rerank import Reranker


def query_folds(keys: Sequence[str], folds: int, seed: int = 0) -> dict[str, int]:
    """Each key's fold: a seeded permutation of the sorted keys, modulo `folds`."""
    ordered = sorted(set(keys))
    fold = np.random.default_rng(seed).permutation(len(ordered)) % folds
    return {k: int(f) for k, f in zip(ordered, fold, strict=True)}


def fold_rerankers(
    matcher: NarrativeMatcher, queries: Mapping[str, str], qrels: Mapping[str, set[str]],
    fold_of: Mapping[str, int],
) -> dict[int, Reranker]:  # fmt: skip
    """One re-ranker per fold, each fit on the queries of the other folds (closed set)."""
    ids = [q for q in qrels if q in queries]
    samples = collect(matcher, queries, qrels)
    folds = np.asarray([fold_of[q] for q in ids])
    out = {}
    for f in sorted(set(fold_of.values())):
        keep = folds[samples.query] != f
        part = Samples(samples.rows[keep], samples.labels[keep], samples.query[keep],
                       samples.relevant)  # fmt: skip
        out[f] = fit(part)
    return out


def rank_open_set_oof(
    matcher: NarrativeMatcher, queries: Mapping[str, str], qrels: Mapping[str, set[str]],
    left_out: set[str], *, rerankers: Mapping[int, Reranker], fold_of: Mapping[str, int],
    posted: dt.date | None = None,
) -> list[RankedOpenSet]:  # fmt: skip
    """`rank_open_set` with each query re-ranked by its fold's re-ranker (one part per fold);
    `posted`: as there."""
    parts = []
    for f, reranker in sorted(rerankers.items()):
        mine = {q: text for q, text in queries.items() if fold_of.get(q) == f}
        sub = matcher.with_reranker(reranker)
        parts.append(rank_open_set(sub, mine, qrels, left_out, posted))
    return parts
