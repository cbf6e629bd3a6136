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
``batch`` field). ``--ngrams WEIGHT``: the model also reads the posts' word n-grams
(`models.matching.ngrams`); every fit, in CV and leave-one-batch-out too, fits its vocabulary on
its own training posts only. ``--no-counter`` fits the model without the three counter-exemplar
columns (`models.matching.stance_model.NO_COUNTER_FEATURES`: the shipped
``stance-en-nocounter.json``, for narratives without counter-exemplars); ``--by-narrative`` also
logs each narrative's accuracy by a model fit on the OTHER narratives (what a new catalog's
narratives get). Never pass a set that is reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.evaluation.ngrams_fit import fit_ngrams
from models.matching.matcher import NarrativeMatcher
from models.matching.query import clean_post_text
from models.matching.stance import classify_stance
from models.matching.stance_model import (
    COUNTER_FEATURES,
    NO_COUNTER_FEATURES,
    STANCE_FEATURES,
    STANCES,
    StanceModel,
    stance_row,
)

logger = logging.getLogger(__name__)
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class StanceRows:
    """One row per usable labelled post: `stance_row`s, the labels, the rules' stance, the
    post's batch and its cleaned text, its narrative, and the rules' stance had the narrative no
    counter-exemplars (`without_counter` makes that the rules' column, the fair baseline for a
    model without them)."""

    rows: np.ndarray
    labels: np.ndarray
    rules: np.ndarray
    batches: list[str]
    texts: list[str]
    narratives: list[str] = dataclasses.field(default_factory=list)
    features: tuple[str, ...] = STANCE_FEATURES
    rules_no_counter: np.ndarray | None = None

    def without_counter(self) -> StanceRows:
        """The same rows without the counter-exemplar columns (`NO_COUNTER_FEATURES`)."""
        n = len(STANCE_FEATURES)
        keep = [i for i in range(self.rows.shape[1])
                if i >= n or STANCE_FEATURES[i] not in COUNTER_FEATURES]  # fmt: skip
        rules = self.rules if self.rules_no_counter is None else self.rules_no_counter
        return dataclasses.replace(self, rows=self.rows[:, keep], features=NO_COUNTER_FEATURES,
                                   rules=rules)  # fmt: skip


def collect(
    matcher: NarrativeMatcher, posts: Sequence[Any], *, embedding: bool = True
) -> StanceRows:
    """The `StanceRows` of every usable labelled post."""
    matcher.warm_up()
    index = {n.id: i for i, n in enumerate(matcher.catalog.active)}
    usable = [p for p in posts if p.narrative in index and p.stance in STANCES]
    vectors = matcher.embedder.encode_cached([clean_post_text(p.text) for p in usable])
    rows, labels, rules, batches, texts, narratives, plain = [], [], [], [], [], [], []
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
        texts.append(text)
        narratives.append(post.narrative)
        rule = classify_stance(text, exemplar, float(ex.max()),
                               counter_exemplar=counters[int(np.argmax(co))],
                               counter_score=float(co.max()),
                               margin=matcher.config.stance_margin)  # fmt: skip
        rules.append(rule.stance)
        plain.append(classify_stance(text, exemplar, float(ex.max())).stance)
    return StanceRows(np.vstack(rows), np.asarray(labels), np.asarray(rules), batches, texts,
                      narratives, rules_no_counter=np.asarray(plain))  # fmt: skip


def fit(rows: np.ndarray, labels: np.ndarray, c: float, embedding_dims: int = 0, *,
        texts: Sequence[str] = (), ngram_weight: float = 0.0,
        features: tuple[str, ...] = STANCE_FEATURES) -> StanceModel:  # fmt: skip
    """Standardised, class-balanced multinomial logistic regression; with `ngram_weight` > 0
    also over the word n-grams of `texts` (one per row; vocabulary fit on them)."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    x = (rows - mean) / scale
    ngrams = fit_ngrams(texts, weight=ngram_weight) if ngram_weight > 0 else None
    if ngrams is not None:
        x = np.hstack([x, ngrams.transform(texts)])
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(x, labels)
    return StanceModel(
        mean=tuple(float(x) for x in mean), scale=tuple(float(x) for x in scale),
        coef=tuple(tuple(float(x) for x in row) for row in model.coef_),
        intercept=tuple(float(x) for x in model.intercept_),
        classes=tuple(str(x) for x in model.classes_),  # type: ignore[misc]
        embedding_dims=embedding_dims, ngrams=ngrams, features=features,
    )  # fmt: skip


def _fit_part(data: StanceRows, train: np.ndarray, c: float, embedding_dims: int,
              ngram_weight: float) -> StanceModel:  # fmt: skip
    texts = [t for t, keep in zip(data.texts, train, strict=True) if keep]
    return fit(data.rows[train], data.labels[train], c, embedding_dims, texts=texts,
               ngram_weight=ngram_weight, features=data.features)  # fmt: skip


def _right(model: StanceModel, data: StanceRows, held: np.ndarray) -> int:
    texts = [t for t, keep in zip(data.texts, held, strict=True) if keep]
    probs = model.probabilities(data.rows[held], texts)
    got = np.asarray(model.classes)[np.argmax(probs, axis=1)]
    return int((got == data.labels[held]).sum())


def cv_accuracy(data: StanceRows, c: float, folds: int, *, seed: int, embedding_dims: int = 0,
                ngram_weight: float = 0.0) -> float:  # fmt: skip
    fold = np.random.default_rng(seed).permutation(len(data.labels)) % folds
    right = 0
    for f in range(folds):
        held = fold == f
        model = _fit_part(data, ~held, c, embedding_dims, ngram_weight)
        right += _right(model, data, held)
    return right / len(data.labels)


def batch_accuracy(
    data: StanceRows, c: float, embedding_dims: int = 0, ngram_weight: float = 0.0, *,
    by: str = "batch",
) -> dict[str, float]:  # fmt: skip
    """Each batch's (``by="narrative"``: each narrative's) accuracy by a model fit on the other
    batches (narratives): leave one out."""
    names = np.asarray(data.batches if by == "batch" else data.narratives)
    out = {}
    for name in sorted(set(names.tolist())):
        held = names == name
        if held.all():
            continue
        model = _fit_part(data, ~held, c, embedding_dims, ngram_weight)
        out[name] = _right(model, data, held) / int(held.sum())
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
    parser.add_argument("--ngrams", type=float, default=0.0, metavar="WEIGHT",
                        help="also read word n-grams with this weight (0: none)")  # fmt: skip
    parser.add_argument("--skip-batch", action="append", default=[], metavar="BATCH",
                        help="leave out posts whose batch field is BATCH (repeatable)")  # fmt: skip
    parser.add_argument("--no-counter", action="store_true",
                        help="fit without the counter-exemplar columns")  # fmt: skip
    parser.add_argument("--by-narrative", action="store_true",
                        help="also log leave-one-narrative-out accuracy")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = live_config(decision="fused", stance="rules", claim_dates="all")  # as calibrate_train
    matcher = load_matcher(args.catalog, cache_dir=args.cache_dir, config=config)
    posts = [p for f in args.posts for p in read_labelled_posts(f)]
    posts = [p for p in posts if p.batch not in args.skip_batch]
    data = collect(matcher, posts, embedding=not args.no_embedding)
    if args.no_counter:
        data = data.without_counter()
    labels, rules, batches = data.labels, data.rules, data.batches
    dims = 0 if args.no_embedding else matcher.dims
    rule_accuracy = float((rules == labels).mean())
    cv = [
        cv_accuracy(
            data, args.c, args.folds, seed=seed, embedding_dims=dims, ngram_weight=args.ngrams
        )
        for seed in SEEDS
    ]
    shown = [round(x, 3) for x in cv]
    logger.info("%d posts; rules %.3f; model %d-fold CV %s (mean %.3f)", len(labels),
                rule_accuracy, args.folds, shown, float(np.mean(cv)))  # fmt: skip
    by_batch = batch_accuracy(data, args.c, dims, args.ngrams)
    if by_batch:
        pooled = sum(a * batches.count(b) for b, a in by_batch.items()) / len(labels)
        logger.info("leave one batch out: pooled %.3f, mean %.3f, worst %.3f", pooled,
                    float(np.mean(list(by_batch.values()))), min(by_batch.values()))  # fmt: skip
    right = rules == labels
    rules_by_batch = {b: float(right[np.asarray(batches) == b].mean()) for b in by_batch}
    for name, acc in by_batch.items():
        logger.info("batch %s (%d posts): model fit on the other batches %.3f; rules %.3f", name,
                    batches.count(name), acc, rules_by_batch[name])  # fmt: skip
    by_narrative = (
        batch_accuracy(data, args.c, dims, args.ngrams, by="narrative") if args.by_narrative else {}
    )
    if by_narrative:
        narratives = data.narratives
        pooled = sum(a * narratives.count(n) for n, a in by_narrative.items()) / len(labels)
        logger.info("leave one narrative out: pooled %.3f, worst %.3f; %s", pooled,
                    min(by_narrative.values()),
                    ", ".join(f"{n} {a:.3f}" for n, a in by_narrative.items()))  # fmt: skip
    if args.out is None:
        return
    model = fit(data.rows, labels, args.c, dims, texts=data.texts, ngram_weight=args.ngrams,
                features=data.features)  # fmt: skip
    meta = {
        "trained_on": [f.name for f in args.posts], "skipped_batches": sorted(args.skip_batch),
        "rows": len(labels), "catalog": matcher.catalog.name,
        "catalog_version": matcher.catalog_version, "model_id": matcher.model_id, "C": args.c,
        **({"ngram_weight": args.ngrams} if args.ngrams else {}),
        "cv_folds": args.folds, "cv_seeds": list(SEEDS), "cv_accuracy": [round(x, 4) for x in cv],
        "rules_accuracy": round(rule_accuracy, 4),
        "leave_one_batch_out": {k: round(v, 4) for k, v in by_batch.items()},
        **({"leave_one_narrative_out": {k: round(v, 4) for k, v in by_narrative.items()}}
           if by_narrative else {}),
    }  # fmt: skip
    dataclasses.replace(model, meta=meta).save(args.out)
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
