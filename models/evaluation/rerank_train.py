"""Fit the logistic re-ranker (`models.matching.rerank`) on a TRAIN split; k-fold CV by query.

Contracts:
- `collect(matcher, queries, qrels)` runs the matcher's *linear* ranking over every query with
  qrels and returns the feature rows of each query's top `depth` candidates, their labels and the
  query each row belongs to. Blocking, CPU-bound (~40 ms per query on the 14k-claim catalog).
- `fit(samples)` is a seeded, deterministic scikit-learn LogisticRegression on standardised
  features; `cross_validate(samples)` reports MAP@5 (linear vs re-ranked) over k folds by query.
- `ensure_reranker(cache_dir, matcher, queries_path, qrels_path)` fits once per (catalog, model,
  training files) and caches the weights under ``cache_dir/rerankers``.
- Run as a script to (re)build the weights the repository ships (from TRAIN only)::

    python -m models.evaluation.rerank_train --catalog $D/vclaims.jsonl \\
        --queries $D/train.queries.tsv --qrels $D/train.qrels.tsv \\
        --out models/rerankers/checkthat-2022-2a-en.json

Never pass the split you evaluate on: that would be tuning on the test data.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.matching.matcher import NarrativeMatcher
from models.matching.query import clean_post_text, post_date
from models.matching.rerank import DEFAULT_DEPTH, FEATURES, Floats, Reranker, feature_matrix

logger = logging.getLogger(__name__)

DEFAULT_C = 1.0


@dataclass(frozen=True)
class Samples:
    """Feature rows of the top candidates of every query; `relevant[q]` counts query q's qrels
    (relevant claims outside the top `depth` still count against MAP)."""

    rows: Floats
    labels: np.ndarray
    query: np.ndarray
    relevant: np.ndarray


def collect(
    matcher: NarrativeMatcher,
    queries: Mapping[str, str],
    qrels: Mapping[str, set[str]],
    depth: int = DEFAULT_DEPTH,
) -> Samples:
    # linear ranking, and every claim date read: the weights learn what dates say (the live
    # matcher then reads only recent ones, `MatcherConfig.claim_dates`)
    config = dataclasses.replace(matcher.config, reranker=None, decision="fused", claim_dates="all")
    linear = NarrativeMatcher(matcher.catalog, matcher.embedder, config)
    linear.warm_up()
    ids = [q for q in qrels if q in queries]
    texts = [queries[q] for q in ids]
    vectors = linear.embedder.encode([clean_post_text(t) for t in texts])
    dates = [post_date(t) for t in texts]
    ranked = linear.rank(texts, k=depth, dates=dates, vectors=vectors)
    refs = linear.narratives()
    rows: list[Floats] = []
    labels: list[int] = []
    owner: list[int] = []
    for q, qid in enumerate(ids):
        candidates = ranked[q]
        rows.append(feature_matrix(linear.evidence(vectors[q], dates[q], candidates)))
        labels.extend(int(refs[c.narrative].id in qrels[qid]) for c in candidates)
        owner.extend([q] * len(candidates))
    return Samples(
        rows=np.vstack(rows) if rows else np.zeros((0, len(FEATURES))),
        labels=np.asarray(labels, dtype=np.int64),
        query=np.asarray(owner, dtype=np.int64),
        relevant=np.asarray([len(qrels[q]) for q in ids], dtype=np.int64),
    )


def fit(samples: Samples, c: float = DEFAULT_C, depth: int = DEFAULT_DEPTH) -> Reranker:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    mean = samples.rows.mean(axis=0)
    scale = samples.rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((samples.rows - mean) / scale, samples.labels)
    return Reranker(
        mean=tuple(float(x) for x in mean),
        scale=tuple(float(x) for x in scale),
        coef=tuple(float(x) for x in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        depth=depth,
    )


def map_at_5(scores: Floats, samples: Samples, queries: np.ndarray) -> float:
    """MAP@5 over `queries` when each query's candidates are ordered by `scores`."""
    total = 0.0
    for q in queries:
        mask = samples.query == q
        order = np.argsort(-scores[mask], kind="stable")[:5]
        hits, ap = 0, 0.0
        for i, label in enumerate(samples.labels[mask][order], start=1):
            if label:
                hits += 1
                ap += hits / i
        total += ap / max(int(samples.relevant[q]), 1)
    return total / max(len(queries), 1)


def cross_validate(
    samples: Samples, folds: int = 5, seed: int = 0, c: float = DEFAULT_C
) -> dict[str, float]:
    """MAP@5 of the linear order and of re-ranking, each query scored by a model fit on the
    other folds (folds are by query, so no query is scored by a model that saw it)."""
    n_queries = len(samples.relevant)
    fold_of = np.random.default_rng(seed).permutation(n_queries) % folds
    scores = np.zeros(len(samples.labels))
    for fold in range(folds):
        held = fold_of[samples.query] == fold
        train = Samples(
            samples.rows[~held], samples.labels[~held], samples.query[~held], samples.relevant
        )
        scores[held] = fit(train, c).score(samples.rows[held])
    fused = samples.rows[:, FEATURES.index("fused")]
    everyone = np.arange(n_queries)
    return {
        "linear_map@5": map_at_5(fused, samples, everyone),
        "reranked_map@5": map_at_5(scores, samples, everyone),
    }


def ensure_reranker(
    cache_dir: Path, matcher: NarrativeMatcher, queries_path: Path, qrels_path: Path
) -> Reranker:
    """The re-ranker fit on these training files for this catalog and model (cached)."""
    from models.evaluation.metrics import read_qrels, read_queries

    digest = hashlib.sha256()
    for part in (matcher.catalog_version, matcher.embedder.cache_key, ",".join(FEATURES)):
        digest.update(part.encode() + b"\0")
    digest.update(Path(queries_path).read_bytes() + b"\0" + Path(qrels_path).read_bytes())
    path = Path(cache_dir) / "rerankers" / f"{digest.hexdigest()[:16]}.json"
    if path.exists():
        logger.info("using cached re-ranker %s", path)
        return Reranker.load(path)
    logger.warning("fitting the re-ranker on %s (about a minute)", queries_path)
    samples = collect(matcher, read_queries(queries_path), read_qrels(qrels_path))
    reranker = fit(samples)
    reranker.save(path)
    return reranker


def main(argv: list[str] | None = None) -> None:
    from models.evaluation.metrics import read_qrels, read_queries
    from models.matching.matcher import load_matcher

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True, help="TRAIN queries TSV")
    parser.add_argument("--qrels", type=Path, required=True, help="TRAIN qrels TSV")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "narrmon")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH, help="candidates re-scored")
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="inverse L2 strength")
    parser.add_argument("--cv-only", action="store_true", help="report CV, write nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    matcher = load_matcher(args.catalog, cache_dir=args.cache_dir)
    samples = collect(matcher, read_queries(args.queries), read_qrels(args.qrels), args.depth)
    cv = cross_validate(samples, folds=args.folds, c=args.c)
    logger.info("train %d-fold CV (depth %d, C %g): %s", args.folds, args.depth, args.c, cv)
    if args.cv_only:
        return
    reranker = fit(samples, args.c, args.depth)
    meta = {
        "trained_on": args.queries.name, "queries": len(samples.relevant),
        "rows": len(samples.labels), "model_id": matcher.model_id,
        "encoder": matcher.embedder.encoder,
        "catalog_version": matcher.catalog_version, "C": args.c,
        "cv_folds": args.folds, **{f"cv_{k}": round(v, 4) for k, v in cv.items()},
    }  # fmt: skip
    dataclasses.replace(reranker, meta=meta).save(args.out)
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
