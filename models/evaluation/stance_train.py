"""Fit the learned stance model (`models.matching.stance_model`) on TUNING posts; k-fold CV.

Each labelled post with a narrative and a stance gives one row: `stance_row` of the post
against its LABELLED narrative (so stance is learnt apart from matching errors), with the post's
embedding unless ``--no-embedding``. Narratives without counter-exemplars give no row (the rules
decide there). The CV folds are seeded by post; with several ``batch`` values in the posts, the
log also gives each batch's accuracy by a model fit on the OTHER batches (leave one batch out:
what a new writer's posts get). The model (standardised multinomial logistic regression,
balanced classes) is then refit on everything. Deterministic, so::

    python -m models.evaluation.stance_train --catalog models/catalogs/election-2024.yaml \\
        --posts models/evalsets/election-2024-tuning.jsonl \\
        --posts models/evalsets/election-2024-tuning-social.jsonl \\
        --posts models/evalsets/election-2024-tuning-threads.jsonl \\
        --out models/stance/stance-en.json

rebuilds the shipped file (``--skip-batch``: leave out the posts of a tuning batch, by their
``batch`` field). Never pass a set that is reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.matching.matcher import NarrativeMatcher
from models.matching.query import clean_post_text
from models.matching.stance import classify_stance
from models.matching.stance_model import STANCES, StanceModel, stance_row

logger = logging.getLogger(__name__)
SEEDS = (0, 1, 2)


def collect(
    matcher: NarrativeMatcher, posts: Sequence[Any], *, embedding: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(rows, labels, the rules' stance, batch) for every usable labelled post."""
    matcher.warm_up()
    index = {n.id: i for i, n in enumerate(matcher.catalog.active)}
    usable = [p for p in posts if p.narrative in index and p.stance in STANCES]
    vectors = matcher.embedder.encode_cached([clean_post_text(p.text) for p in usable])
    rows, labels, rules, batches = [], [], [], []
    for post, vector in zip(usable, vectors, strict=True):
        narrative = index[post.narrative]
        ex, co, counter_row = matcher.stance_scores(vector, narrative)
        if co is None or counter_row is None:
            continue
        text = clean_post_text(post.text)
        exemplar = matcher.catalog.active[narrative].exemplars[int(np.argmax(ex))]
        counters = matcher.catalog.active[narrative].counter_exemplars
        rows.append(stance_row(text, exemplar, ex, co, vector if embedding else None))
        labels.append(post.stance)
        batches.append(post.batch or "unbatched")
        rule = classify_stance(text, exemplar, float(ex.max()),
                               counter_exemplar=counters[int(np.argmax(co))],
                               counter_score=float(co.max()),
                               margin=matcher.config.stance_margin)  # fmt: skip
        rules.append(rule.stance)
    return np.vstack(rows), np.asarray(labels), np.asarray(rules), batches


def fit(rows: np.ndarray, labels: np.ndarray, c: float, embedding_dims: int = 0) -> StanceModel:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit((rows - mean) / scale, labels)
    return StanceModel(
        mean=tuple(float(x) for x in mean), scale=tuple(float(x) for x in scale),
        coef=tuple(tuple(float(x) for x in row) for row in model.coef_),
        intercept=tuple(float(x) for x in model.intercept_),
        classes=tuple(str(x) for x in model.classes_),  # type: ignore[misc]
        embedding_dims=embedding_dims,
    )  # fmt: skip


def _right(model: StanceModel, rows: np.ndarray, labels: np.ndarray) -> int:
    got = np.asarray(model.classes)[np.argmax(model.probabilities(rows), axis=1)]
    return int((got == labels).sum())


def cv_accuracy(rows: np.ndarray, labels: np.ndarray, c: float, folds: int, *, seed: int,
                embedding_dims: int = 0) -> float:  # fmt: skip
    fold = np.random.default_rng(seed).permutation(len(labels)) % folds
    right = 0
    for f in range(folds):
        held = fold == f
        right += _right(fit(rows[~held], labels[~held], c, embedding_dims), rows[held],
                        labels[held])  # fmt: skip
    return right / len(labels)


def batch_accuracy(rows: np.ndarray, labels: np.ndarray, batches: Sequence[str], c: float,
                   embedding_dims: int = 0) -> dict[str, float]:  # fmt: skip
    """Each batch's accuracy by a model fit on the other batches (leave one batch out)."""
    names = np.asarray(batches)
    out = {}
    for name in sorted(set(batches)):
        held = names == name
        if held.all():
            continue
        model = fit(rows[~held], labels[~held], c, embedding_dims)
        out[name] = _right(model, rows[held], labels[held]) / int(held.sum())
    return out


def main(argv: list[str] | None = None) -> None:
    from models.evaluation.posts_eval import read_labelled_posts
    from models.matching.matcher import live_config, load_matcher

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--posts", type=Path, action="append", required=True,
                        help="TUNING labelled posts JSONL (repeatable)")  # fmt: skip
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "narrmon")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=0.01, help="inverse L2 strength")
    parser.add_argument(
        "--no-embedding",
        action="store_true",
        help="cue and cosine features only (the model before the embedding)",
    )
    parser.add_argument("--skip-batch", action="append", default=[], metavar="BATCH",
                        help="leave out posts whose batch field is BATCH (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = live_config(decision="fused", stance="rules")
    matcher = load_matcher(args.catalog, cache_dir=args.cache_dir, config=config)
    posts = [p for f in args.posts for p in read_labelled_posts(f)]
    posts = [p for p in posts if p.batch not in args.skip_batch]
    rows, labels, rules, batches = collect(matcher, posts, embedding=not args.no_embedding)
    dims = 0 if args.no_embedding else matcher.dims
    rule_accuracy = float((rules == labels).mean())
    cv = [
        cv_accuracy(rows, labels, args.c, args.folds, seed=seed, embedding_dims=dims)
        for seed in SEEDS
    ]
    shown = [round(x, 3) for x in cv]
    logger.info("%d posts; rules %.3f; model %d-fold CV %s (mean %.3f)", len(labels),
                rule_accuracy, args.folds, shown, float(np.mean(cv)))  # fmt: skip
    by_batch = batch_accuracy(rows, labels, batches, args.c, dims)
    right = rules == labels
    rules_by_batch = {b: float(right[np.asarray(batches) == b].mean()) for b in by_batch}
    for name, acc in by_batch.items():
        logger.info("batch %s (%d posts): model fit on the other batches %.3f; rules %.3f", name,
                    batches.count(name), acc, rules_by_batch[name])  # fmt: skip
    if args.out is None:
        return
    model = fit(rows, labels, args.c, dims)
    meta = {
        "trained_on": [f.name for f in args.posts], "skipped_batches": sorted(args.skip_batch),
        "rows": len(labels), "catalog": matcher.catalog.name,
        "catalog_version": matcher.catalog_version, "model_id": matcher.model_id, "C": args.c,
        "cv_folds": args.folds, "cv_seeds": list(SEEDS), "cv_accuracy": [round(x, 4) for x in cv],
        "rules_accuracy": round(rule_accuracy, 4),
        "leave_one_batch_out": {k: round(v, 4) for k, v in by_batch.items()},
    }  # fmt: skip
    dataclasses.replace(model, meta=meta).save(args.out)
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
