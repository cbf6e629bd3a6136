"""Fit the learned stance model (`models.matching.stance_model`) on TUNING posts; k-fold CV.

Each labelled post with a narrative and a stance gives one row: `stance_features` of the post
against its LABELLED narrative (so stance is learnt apart from matching errors). Narratives
without counter-exemplars give no row (the rules decide there). The CV folds are seeded by post;
the model (standardised multinomial logistic regression, balanced classes) is then refit on
everything. Deterministic, so::

    python -m models.evaluation.stance_train --catalog models/catalogs/election-2024.yaml \\
        --posts models/evalsets/election-2024-tuning.jsonl --skip-batch news \\
        --out models/stance/stance-en.json

rebuilds the shipped file (``--skip-batch``: leave out the posts of a tuning batch, by their
``batch`` field). Never pass a set that is reported.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.matching.matcher import NarrativeMatcher
from models.matching.query import clean_post_text
from models.matching.stance import classify_stance
from models.matching.stance_model import STANCES, StanceModel, stance_features

logger = logging.getLogger(__name__)
SEEDS = (0, 1, 2)


def collect(
    matcher: NarrativeMatcher, posts: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, labels, the rules' stance) for every usable labelled post."""
    matcher.warm_up()
    index = {n.id: i for i, n in enumerate(matcher.catalog.active)}
    usable = [p for p in posts if p.narrative in index and p.stance in STANCES]
    vectors = matcher.embedder.encode_cached([clean_post_text(p.text) for p in usable])
    rows, labels, rules = [], [], []
    for post, vector in zip(usable, vectors, strict=True):
        narrative = index[post.narrative]
        ex, co, counter_row = matcher.stance_scores(vector, narrative)
        if co is None or counter_row is None:
            continue
        text = clean_post_text(post.text)
        exemplar = matcher.catalog.active[narrative].exemplars[int(np.argmax(ex))]
        counters = matcher.catalog.active[narrative].counter_exemplars
        rows.append(stance_features(text, exemplar, ex, co))
        labels.append(post.stance)
        rule = classify_stance(text, exemplar, float(ex.max()),
                               counter_exemplar=counters[int(np.argmax(co))],
                               counter_score=float(co.max()),
                               margin=matcher.config.stance_margin)  # fmt: skip
        rules.append(rule.stance)
    return np.vstack(rows), np.asarray(labels), np.asarray(rules)


def fit(rows: np.ndarray, labels: np.ndarray, c: float) -> StanceModel:
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
    )  # fmt: skip


def cv_accuracy(rows: np.ndarray, labels: np.ndarray, c: float, folds: int, seed: int) -> float:
    fold = np.random.default_rng(seed).permutation(len(labels)) % folds
    right = 0
    for f in range(folds):
        held = fold == f
        model = fit(rows[~held], labels[~held], c)
        probs = model.probabilities(rows[held])
        got = np.asarray(model.classes)[np.argmax(probs, axis=1)]
        right += int((got == labels[held]).sum())
    return right / len(labels)


def main(argv: list[str] | None = None) -> None:
    from models.evaluation.posts_eval import read_labelled_posts
    from models.matching.matcher import live_config, load_matcher

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--posts", type=Path, required=True, help="TUNING labelled posts JSONL")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "narrmon")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=0.3, help="inverse L2 strength")
    parser.add_argument("--skip-batch", action="append", default=[], metavar="BATCH",
                        help="leave out posts whose batch field is BATCH (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = live_config(decision="fused", stance="rules")
    matcher = load_matcher(args.catalog, cache_dir=args.cache_dir, config=config)
    posts = [p for p in read_labelled_posts(args.posts) if p.batch not in args.skip_batch]
    rows, labels, rules = collect(matcher, posts)
    rule_accuracy = float((rules == labels).mean())
    cv = [cv_accuracy(rows, labels, args.c, args.folds, seed) for seed in SEEDS]
    shown = [round(x, 3) for x in cv]
    logger.info("%d posts; rules %.3f; model %d-fold CV %s (mean %.3f)", len(labels),
                rule_accuracy, args.folds, shown, float(np.mean(cv)))  # fmt: skip
    if args.out is None:
        return
    model = fit(rows, labels, args.c)
    meta = {
        "trained_on": args.posts.name, "skipped_batches": sorted(args.skip_batch),
        "rows": len(labels), "catalog": matcher.catalog.name,
        "catalog_version": matcher.catalog_version, "model_id": matcher.model_id, "C": args.c,
        "cv_folds": args.folds, "cv_seeds": list(SEEDS), "cv_accuracy": [round(x, 4) for x in cv],
        "rules_accuracy": round(rule_accuracy, 4),
    }  # fmt: skip
    StanceModel(model.mean, model.scale, model.coef, model.intercept, model.classes,
                meta=meta).save(args.out)  # fmt: skip
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
