"""Fit the targeting classifier (`models.signals.targeting_classifier`) on the TUNING split.

The features are the packaged model's post embeddings (the ones the live matcher computes). The
regularisation ``C`` and the probability threshold are chosen on out-of-fold probabilities
(stratified 5-fold, repeated with three seeds, averaged): among ``C`` in `CS` and thresholds in
`THRESHOLDS`, the best recall whose precision reaches ``--target-precision`` (default 0.92, a
margin over the 0.90 target because the reported split is unseen), with the live decision
(a role word must be present, `models.signals.targeting`). The model is then refit on every post.
Deterministic for one embedding backend::

    python -m models.evaluation.targeting_train \\
        --posts models/evalsets/targeting-tuning.jsonl --out models/classifiers/targeting.json

Never pass a reporting split.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models.evaluation.targeting_eval import LabelledPost, read_labelled
from models.signals.targeting import find_evidence
from models.signals.targeting_classifier import DEFAULT_CLASSIFIER, TargetingClassifier

logger = logging.getLogger(__name__)

CS = (1.0, 4.0, 16.0, 64.0)
THRESHOLDS = tuple(round(0.3 + 0.05 * i, 2) for i in range(11))
REPEATS = 3
FOLDS = 5


@dataclass(frozen=True)
class Choice:
    c: float
    threshold: float
    precision: float
    recall: float


def has_role(texts: Sequence[str]) -> npt.NDArray[np.bool_]:
    return np.array([any(e.kind == "role" for e in find_evidence(t)) for t in texts])


def out_of_fold(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], c: float
) -> npt.NDArray[np.float64]:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

    oof = np.zeros(len(y))
    for seed in range(REPEATS):
        for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(x, y):
            model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
            oof[test] += model.fit(x[train], y[train]).predict_proba(x[test])[:, 1] / REPEATS
    return oof


def choose(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], role: npt.NDArray[np.bool_],
    target_precision: float,
) -> Choice:  # fmt: skip
    best: Choice | None = None
    for c in CS:
        oof = out_of_fold(x, y, c)
        for threshold in THRESHOLDS:
            flagged = (oof >= threshold) & role
            tp = int((flagged & y).sum())
            precision = tp / max(int(flagged.sum()), 1)
            recall = tp / max(int(y.sum()), 1)
            logger.info("C %s threshold %.2f: precision %.3f recall %.3f",
                        c, threshold, precision, recall)  # fmt: skip
            if precision >= target_precision and (best is None or recall > best.recall):
                best = Choice(c, threshold, round(precision, 4), round(recall, 4))
    if best is None:
        raise ValueError(f"no setting reaches precision {target_precision} in cross-validation")
    return best


def train(
    posts: Sequence[LabelledPost], vectors: npt.NDArray[np.float64], target_precision: float,
    source: str,
) -> TargetingClassifier:  # fmt: skip
    from sklearn.linear_model import LogisticRegression

    y = np.array([p.targeting for p in posts])
    choice = choose(vectors, y, has_role([p.text for p in posts]), target_precision)
    model = LogisticRegression(C=choice.c, max_iter=5000, class_weight="balanced").fit(vectors, y)
    return TargetingClassifier(
        coef=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        threshold=choice.threshold,
        meta={
            "fit_on": source, "posts": len(posts), "positives": int(y.sum()), "C": choice.c,
            "cv": f"{FOLDS}-fold x {REPEATS} seeds, role word required",
            "cv_precision": choice.precision, "cv_recall": choice.recall,
            "target_precision": target_precision,
        },
    )  # fmt: skip


def _default_cache_dir() -> Path:
    """The worker's default cache folder (``$XDG_CACHE_HOME/narrmon``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "narrmon"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--posts", type=Path, required=True, help="labelled TUNING posts")
    parser.add_argument("--out", type=Path, default=DEFAULT_CLASSIFIER)
    parser.add_argument("--target-precision", type=float, default=0.92)
    parser.add_argument("--model", default=None, help="embedding model path (default: packaged)")
    parser.add_argument("--cache-dir", type=Path, default=_default_cache_dir(),
                        help="embedding cache; also selects the worker's ONNX backend")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from models.evaluation.targeting_eval import embed_posts

    posts = read_labelled(args.posts)
    classifier = train(posts, embed_posts(posts, args.model, args.cache_dir), args.target_precision,
                       args.posts.name)  # fmt: skip
    classifier.save(args.out)
    logger.info("wrote %s: %s", args.out, classifier.meta)


if __name__ == "__main__":
    main()
