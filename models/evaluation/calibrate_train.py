"""Fit the open-set calibrator (`models.matching.calibration`) on TRAIN data; k-fold CV by post.

Two kinds of training data, both giving each post's top candidates under the live ranking (the
shipped re-ranker) with a label (is this candidate the post's narrative?):
- CheckThat!-style queries + qrels (``--queries/--qrels``): the train queries are split in two
  halves (seeded); the catalog is built twice, each time without the gold claims of one half,
  and every query is ranked against both, so each appears once with its claim present and once
  absent (open-set negatives);
- labelled posts (``--posts``, `models.evaluation.posts_eval` format): chatter posts are the
  negatives, against the whole catalog.
The threshold and margin are chosen on out-of-fold probabilities (folds by post): the best
recall whose hit precision reaches ``--target-precision`` and whose false-alarm (chatter) rate
stays within ``--max-false-alarm``; the model is then refit on everything. With posts from
several writers (``batch``), ``--select batch-out`` chooses on every batch scored by a
calibrator fit without it instead (`models.evaluation.batch_holdout`): CV by post is optimistic
about a writer it never saw. Deterministic, so::

    python -m models.evaluation.calibrate_train --catalog $D/vclaims.jsonl \\
        --queries $D/train.queries.tsv --qrels $D/train.qrels.tsv \\
        --out models/calibrators/checkthat-2022-2a-en.json

rebuilds the shipped file (byte for byte when it was committed; see models/README.md for rounding
in a fresh environment). Never pass a split that is reported.

A live monitor reads a post newer than its catalog with the claim dates more than a few days
before it undated (`MatcherConfig.claim_dates`), rows the calibrator above never saw.
``--post-date D`` dates every query D and collects the rows that way; ``--recent-into FILE``
then writes FILE's calibrator with that fit as its ``recent`` part (`Calibrator.recent`), which
decides exactly those posts. The shipped CheckThat! file is the first command followed by::

    python -m models.evaluation.calibrate_train --catalog $D/vclaims.jsonl \
        --queries $D/train.queries.tsv --qrels $D/train.qrels.tsv --post-date 2026-11-30 \
        --recent-into models/calibrators/checkthat-2022-2a-en.json \
        --out models/calibrators/checkthat-2022-2a-en.json
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.evaluation.oof_rerank import fold_rerankers, query_folds, rank_open_set_oof
from models.evaluation.openset import OpenSetMetrics, Outcome, leave_out_split, score_outcomes
from models.evaluation.openset_run import rank_open_set
from models.evaluation.post_classes_train import (
    class_data,
    class_probabilities,
    fit_all,
    row_classes,
)
from models.matching.calibration import DEFAULT_DEPTH, FEATURES, Calibrator, Floats, select_hits
from models.matching.coverage import COVERAGE_FEATURES
from models.matching.decision import calibration_rows
from models.matching.matcher import Candidate, NarrativeMatcher
from models.matching.post_classes import CLASS_FEATURES, PostClassifier
from models.matching.query import clean_post_text

logger = logging.getLogger(__name__)

THRESHOLDS = tuple(round(0.025 * i, 3) for i in range(2, 39))
MARGINS = (0.05, 0.1, 0.2, 0.3, 1.0)


@dataclass(frozen=True)
class CalSamples:
    """Rows of every post's top candidates. `group[i]`: the post of row i (posts are numbered
    in order); `fold_key[g]`: what CV folds post g by (the same query twice stays together)."""

    rows: Floats
    labels: np.ndarray
    group: np.ndarray
    offset: Floats
    cand_ids: list[str]
    gold: list[frozenset[str]]
    fold_key: list[str]


@dataclass(frozen=True)
class _Catalog:
    """What rows need from one matcher's catalog, computed once."""

    active: tuple[Any, ...]
    offsets: Mapping[str, float]

    @classmethod
    def of(cls, m: NarrativeMatcher) -> _Catalog:
        return cls(m.catalog.active, m.config.severity_threshold_offsets)


def _add_post(
    acc: dict[str, list[Any]], cat: _Catalog, cands: Sequence[Candidate], *, days: Floats,
    gold: frozenset[str], key: str, background: float | None, coverage: Floats | None,
) -> None:  # fmt: skip
    """`days`: the candidates' claim days as the hit decision reads them
    (`NarrativeMatcher.decision_days`)."""
    active = cat.active
    rows = calibration_rows(cands, days, "rerank", DEFAULT_DEPTH, background=background,
                            coverage=coverage)  # fmt: skip
    g = len(acc["gold"])
    for i in range(len(rows)):
        narrative = active[cands[i].narrative]
        acc["rows"].append(rows[i])
        acc["labels"].append(int(narrative.id in gold))
        acc["group"].append(g)
        acc["offset"].append(cat.offsets.get(narrative.severity, 0.0))
        acc["cand_ids"].append(narrative.id)
    acc["gold"].append(gold)
    acc["fold_key"].append(key)


def _coverage(
    matcher: NarrativeMatcher, cleaned: str, cands: Sequence[Candidate], on: bool
) -> Floats | None:
    return matcher.coverage_rows(cleaned, cands[:DEFAULT_DEPTH]) if on else None


def _samples(acc: dict[str, list[Any]], coverage: bool = False) -> CalSamples:
    width = len(FEATURES) + (len(COVERAGE_FEATURES) if coverage else 0)
    return CalSamples(
        rows=np.vstack(acc["rows"]) if acc["rows"] else np.zeros((0, width)),
        labels=np.asarray(acc["labels"], dtype=np.int64),
        group=np.asarray(acc["group"], dtype=np.int64), offset=np.asarray(acc["offset"]),
        cand_ids=acc["cand_ids"], gold=acc["gold"], fold_key=acc["fold_key"],
    )  # fmt: skip


def _empty() -> dict[str, list[Any]]:
    return {k: [] for k in ("rows", "labels", "group", "offset", "cand_ids", "gold", "fold_key")}


def collect_openset(
    matcher: NarrativeMatcher, queries: Mapping[str, str], qrels: Mapping[str, set[str]],
    seed: int, *, reranker_folds: int = 0, coverage: bool = False, posted: dt.date | None = None,
) -> CalSamples:  # fmt: skip
    """Every query ranked against two leave-out catalogs (module docstring); with
    `reranker_folds`, each by a re-ranker fit without its fold (`models.evaluation.oof_rerank`);
    with `coverage`, the rows carry `COVERAGE_FEATURES` (`models.matching.coverage`); with
    `posted`, every query is dated that day (`rank_open_set`) and its rows read claim dates as
    the matcher's decision does for that day (`NarrativeMatcher.recent_dates_only`)."""
    ids = [q for q in sorted(qrels) if q in queries]
    half = leave_out_split(ids, 0.5, seed)
    fold_of = query_folds(ids, reranker_folds) if reranker_folds else {}
    rerankers = fold_rerankers(matcher, queries, qrels, fold_of) if fold_of else {}
    acc = _empty()
    for left in (half, set(ids) - half):
        if rerankers:
            parts = rank_open_set_oof(matcher, queries, qrels, left, rerankers=rerankers,
                                      fold_of=fold_of, posted=posted)  # fmt: skip
        else:
            parts = [rank_open_set(matcher, queries, qrels, left, posted)]
        for ranked in parts:
            cat = _Catalog.of(ranked.matcher)
            for q, cands in enumerate(ranked.ranked):
                cover = _coverage(ranked.matcher, ranked.cleaned[q], cands, coverage)
                days = ranked.matcher.decision_days(cands, ranked.dates[q])
                _add_post(acc, cat, cands, days=days, gold=ranked.present[q],
                          key=ranked.query_ids[q], background=ranked.background[q],
                          coverage=cover)  # fmt: skip
    return _samples(acc, coverage)


def collect_posts(
    matcher: NarrativeMatcher, posts: Sequence[Any], coverage: bool = False
) -> CalSamples:
    """Labelled posts (`posts_eval.LabelledPost`) ranked against the whole catalog."""
    matcher.warm_up()
    dates = [p.date for p in posts]
    cleaned = [clean_post_text(p.text) for p in posts]
    vectors = matcher.embedder.encode_cached(cleaned)
    ranked = matcher.rank([p.text for p in posts], dates=dates, vectors=vectors)
    backgrounds = matcher.background_scores(vectors)
    acc = _empty()
    cat = _Catalog.of(matcher)
    for p, text, cands, bg in zip(posts, cleaned, ranked, backgrounds, strict=True):
        gold = frozenset([p.narrative]) if p.narrative else frozenset()
        _add_post(acc, cat, cands, days=matcher.decision_days(cands, p.date), gold=gold,
                  key=p.id, background=bg,
                  coverage=_coverage(matcher, text, cands, coverage))  # fmt: skip
    return _samples(acc, coverage)


def fit(samples: CalSamples, c: float = 1.0) -> tuple[Floats, Floats, Floats, float]:
    """Standardised, seeded scikit-learn logistic regression: (mean, scale, coef, intercept)."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    mean = samples.rows.mean(axis=0)
    scale = samples.rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((samples.rows - mean) / scale, samples.labels)
    return mean, scale, model.coef_[0], float(model.intercept_[0])


def probabilities(weights: tuple[Floats, Floats, Floats, float], rows: Floats) -> Floats:
    mean, scale, coef, intercept = weights
    return np.asarray(1.0 / (1.0 + np.exp(-(((rows - mean) / scale) @ coef + intercept))))


def out_of_fold(samples: CalSamples, folds: int = 5, seed: int = 0, c: float = 1.0) -> Floats:
    """Each row's probability from a model fit on the other folds (folds by `fold_key`)."""
    fold_of_key = query_folds(samples.fold_key, folds, seed)
    fold = np.asarray([fold_of_key[samples.fold_key[g]] for g in samples.group])
    probs = np.zeros(len(samples.labels))
    for f in range(folds):
        held = fold == f
        part = dataclasses.replace(samples, rows=samples.rows[~held], labels=samples.labels[~held])
        probs[held] = probabilities(fit(part, c), samples.rows[held])
    return probs


def decision_outcomes(
    samples: CalSamples, probs: Floats, threshold: float, margin: float, max_hits: int = 5
) -> list[Outcome]:
    """Each post's outcome (in post order) under the live decision rule applied to `probs`."""
    out = []
    # rows are grouped by post, in post order
    bounds = np.searchsorted(samples.group, np.arange(len(samples.gold) + 1))
    for g, gold in enumerate(samples.gold):
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        chosen = select_hits(probs[lo:hi], threshold + samples.offset[lo:hi], margin, max_hits)
        out.append(Outcome(gold, tuple(samples.cand_ids[lo + i] for i in chosen)))
    return out


def decision_metrics(
    samples: CalSamples, probs: Floats, threshold: float, margin: float, max_hits: int = 5
) -> OpenSetMetrics:
    """The open-set metrics of the live decision rule applied to `probs`."""
    return score_outcomes(decision_outcomes(samples, probs, threshold, margin, max_hits), threshold)


def batch_metrics(
    samples: CalSamples, probs: Floats, threshold: float, margin: float,
    batches: Sequence[str | None],
) -> dict[str, OpenSetMetrics]:  # fmt: skip
    """`decision_metrics` per batch of posts (`batches[g]`: post g's batch; None: "unbatched")."""
    outcomes = decision_outcomes(samples, probs, threshold, margin)
    names = sorted({b or "unbatched" for b in batches})
    return {
        name: score_outcomes(
            [o for o, b in zip(outcomes, batches, strict=True) if (b or "unbatched") == name],
            threshold,
        )
        for name in names
    }


def choose(
    samples: CalSamples, probs: Floats, target_precision: float, max_false_alarm: float
) -> tuple[float, float, OpenSetMetrics]:
    """(threshold, margin, metrics): best recall meeting both targets, else best F0.5."""
    best: tuple[tuple[float, ...], float, float, OpenSetMetrics] | None = None
    for margin in MARGINS:
        for t in THRESHOLDS:
            m = decision_metrics(samples, probs, t, margin)
            ok = m.hit_precision >= target_precision and m.false_alarm_rate <= max_false_alarm
            p, r = m.hit_precision, m.recall
            f05 = 1.25 * p * r / (0.25 * p + r) if p + r else 0.0
            key = (1.0, r, -m.false_alarm_rate) if ok else (0.0, f05, 0.0)
            if best is None or key > best[0]:
                best = (key, t, margin, m)
    assert best is not None
    return best[1], best[2], best[3]


def curve_json(samples: CalSamples, probs: Floats, margin: float) -> list[dict[str, float]]:
    """The decision's `OpenSetMetrics` at each of `THRESHOLDS` on the probabilities the
    threshold was chosen on, rounded (`models.evaluation.stored_curve` reads them back)."""
    return [
        {k: round(v, 4) if isinstance(v, float) else v
         for k, v in decision_metrics(samples, probs, t, margin).as_json().items()}
        for t in THRESHOLDS
    ]  # fmt: skip


def background_texts(
    matcher: NarrativeMatcher, files: Sequence[Path], size: int, exclude: str
) -> list[str]:
    """The 'fit' part of the background files for the matcher's catalog
    (`models.evaluation.background`); raw texts (`class_data` cleans them)."""
    from models.evaluation.background import catalog_background

    if not files:
        return []
    chosen, read = catalog_background(matcher.catalog, files, exclude, "fit", size)
    logger.info("background: %d of %d texts ('fit' part, not excluded)", len(chosen), read)
    return chosen


def main(argv: list[str] | None = None) -> None:
    from models.evaluation.metrics import read_qrels, read_queries
    from models.evaluation.posts_eval import read_labelled_posts, unknown_labels
    from models.matching.matcher import live_config, load_matcher

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--queries", type=Path, help="TRAIN queries TSV (with --qrels)")
    parser.add_argument("--qrels", type=Path, help="TRAIN qrels TSV")
    parser.add_argument("--posts", type=Path, action="append",
                        help="TRAIN (tuning) labelled posts JSONL (repeatable)")  # fmt: skip
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "narrmon")
    parser.add_argument("--seed", type=int, default=13, help="leave-out halves")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=1.0, help="inverse L2 strength")
    parser.add_argument("--reranker-folds", type=int, default=5,
                        help="queries: re-rank each with a re-ranker fit without its fold "
                        "(the shipped one saw them); 0: the shipped re-ranker")  # fmt: skip
    parser.add_argument("--target-precision", type=float, default=0.90)
    parser.add_argument("--max-false-alarm", type=float, default=0.05)
    parser.add_argument("--post-classifier-c", type=float, default=0.0,
                        help="with --posts: add the post classifier's features, fit with this "
                        "inverse L2 strength (0: none)")  # fmt: skip
    parser.add_argument("--post-classifier-ngrams", type=float, default=0.0, metavar="WEIGHT",
                        help="the post classifier also reads word n-grams with this weight "
                        "(0: embedding only; models.matching.ngrams)")  # fmt: skip
    parser.add_argument("--background", type=Path, action="append", default=[],
                        help="with --post-classifier-c: real posts about other things (queries "
                        "TSV or JSONL, repeatable); their 'fit' part joins the classifier as no "
                        "narrative (models.evaluation.background)")  # fmt: skip
    parser.add_argument("--background-size", type=int, default=2000)
    parser.add_argument("--background-exclude", default="", metavar="REGEX",
                        help="besides the catalog's keywords, background texts this finds are "
                        "left out (they may really be about a narrative)")  # fmt: skip
    parser.add_argument("--select", choices=("cv", "batch-out"), default="cv",
                        help="choose the threshold on CV by post, or (posts from several "
                        "batches) on every batch scored by a calibrator fit "
                        "without it")  # fmt: skip
    parser.add_argument("--coverage", action="store_true",
                        help="the calibrator also reads how much of each candidate's claim "
                        "the post says and of the post the claim holds "
                        "(models.matching.coverage)")  # fmt: skip
    parser.add_argument("--post-date", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                        help="with --queries: date every query that day and read claim dates "
                        "as the live decision does for a post of that day (claim_dates "
                        "'recent'): a monitor's view of posts newer than its catalog")  # fmt: skip
    parser.add_argument("--recent-into", type=Path, metavar="FILE",
                        help="with --post-date: write FILE's calibrator with this fit as its "
                        "'recent' part (Calibrator.recent) to --out")  # fmt: skip
    parser.add_argument("--cv-only", action="store_true", help="report CV, write nothing")
    parser.add_argument("--curve", action="store_true", help="log the CV curve too")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # the live ranking; the decision is what we fit, on every claim date (the weights learn what
    # dates say; the live matcher then reads only recent ones, `MatcherConfig.claim_dates`)
    if args.post_date is not None and args.queries is None:
        parser.error("--post-date needs --queries and --qrels")
    if args.recent_into is not None and args.post_date is None:
        parser.error("--recent-into needs --post-date")
    config = live_config(decision="fused", claim_dates="recent" if args.post_date else "all")
    matcher = load_matcher(args.catalog, cache_dir=args.cache_dir, config=config)
    batches: list[str | None] = []
    classifier: PostClassifier | None = None
    if args.posts:
        source = ", ".join(f.name for f in args.posts)
        posts = []
        known = {r.id for r in matcher.narratives()}
        for path in args.posts:
            batch = read_labelled_posts(path)
            problem = unknown_labels(batch, known, path)
            if problem is not None:
                parser.error(problem)
            posts += batch
        batches = [p.batch for p in posts]
        samples = collect_posts(matcher, posts, args.coverage)
        if args.post_classifier_c > 0:
            background = background_texts(matcher, args.background, args.background_size,
                                          args.background_exclude)  # fmt: skip
            data = class_data(matcher, posts, ngram_weight=args.post_classifier_ngrams,
                              background=background)  # fmt: skip
            base, cc = samples, args.post_classifier_c

            built: dict[bytes, CalSamples] = {}  # the pooled and per-batch passes share them

            def rebuild(train: np.ndarray) -> CalSamples:
                key = np.asarray(train, dtype=bool).tobytes()
                if key not in built:
                    probs = class_probabilities(data, train, folds=args.folds, c=cc)
                    extra = row_classes(probs, base.group, base.cand_ids, data.classes)
                    built[key] = dataclasses.replace(base, rows=np.hstack([base.rows, extra]))
                return built[key]

            samples = rebuild(np.ones(len(posts), dtype=bool))
            classifier = fit_all(data, cc)
    elif args.queries is not None and args.qrels is not None:
        source = args.queries.name
        samples = collect_openset(matcher, read_queries(args.queries), read_qrels(args.qrels),
                                  args.seed, reranker_folds=args.reranker_folds,
                                  coverage=args.coverage, posted=args.post_date)  # fmt: skip
    else:
        parser.error("pass --posts, or --queries and --qrels")
    from models.evaluation.batch_holdout import leave_batch_out, pooled_batch_out

    several = len({b or "unbatched" for b in batches}) > 1
    if args.select == "batch-out" and not several:
        parser.error("--select batch-out needs --posts from two or more batches")
    rebuild_fn = rebuild if classifier else None
    probs = out_of_fold(samples, args.folds, c=args.c)
    threshold, margin, cv = choose(samples, probs, args.target_precision, args.max_false_alarm)
    if args.select == "batch-out":
        whole, pooled = pooled_batch_out(samples, batches, c=args.c, rebuild=rebuild_fn)
        threshold, margin, out = choose(whole, pooled, args.target_precision,
                                        args.max_false_alarm)  # fmt: skip
        logger.info("batches left out, pooled, at threshold %.3f margin %.2f: %s", threshold,
                    margin, out)  # fmt: skip
        for name, m in batch_metrics(whole, pooled, threshold, margin, batches).items():
            logger.info("left out, pooled, batch %s: recall %.3f chatter FP %.3f", name,
                        m.recall, m.false_alarm_rate)  # fmt: skip
        for t in THRESHOLDS if args.curve else ():
            m = decision_metrics(whole, pooled, t, margin)
            logger.info("left out, pooled, t %.3f recall %.3f false-alarm %.3f hit-P %.3f", t,
                        m.recall, m.false_alarm_rate, m.hit_precision)  # fmt: skip
        cv = decision_metrics(samples, probs, threshold, margin)
        pooled_json = {f"batch_out_{k}": round(float(v), 4) for k, v in out.as_json().items()}
        selected: dict[str, Any] = {"select": "batch-out", **pooled_json,
                    "curve": curve_json(whole, pooled, margin)}  # fmt: skip
    else:
        selected = {"curve": curve_json(samples, probs, margin)}
    logger.info("CV (%d folds) at threshold %.3f margin %.2f: %s", args.folds, threshold,
                margin, cv)  # fmt: skip
    for name, m in (
        batch_metrics(samples, probs, threshold, margin, batches).items() if any(batches) else ()
    ):
        logger.info("CV batch %s: recall %.3f (%d posts on a narrative) chatter FP %.3f (%d)",
                    name, m.recall, m.present, m.false_alarm_rate, m.absent)  # fmt: skip
    if several:
        held_out = leave_batch_out(samples, batches, folds=args.folds, c=args.c,
                                   target_precision=args.target_precision,
                                   max_false_alarm=args.max_false_alarm,
                                   rebuild=rebuild_fn)  # fmt: skip
        for name, m in held_out.items():
            logger.info("batch %s left out (fit and threshold on the others, t %.3f): recall %.3f "
                        "chatter FP %.3f hit precision %.3f", name, m.threshold, m.recall,
                        m.false_alarm_rate, m.hit_precision)  # fmt: skip
    for t in THRESHOLDS if args.curve else ():
        m = decision_metrics(samples, probs, t, margin)
        logger.info("CV t %.3f recall %.3f top1 %.3f false-alarm %.3f hit-P %.3f hits/post %.2f",
                    t, m.recall, m.top1_accuracy, m.false_alarm_rate, m.hit_precision,
                    m.hits_per_post)  # fmt: skip
    if args.cv_only or args.out is None:
        return
    mean, scale, coef, intercept = fit(samples, args.c)
    meta = {
        "trained_on": source, "posts": len(samples.gold), "rows": len(samples.labels),
        "model_id": matcher.model_id, "catalog_version": matcher.catalog_version,
        "C": args.c, "seed": args.seed, "cv_folds": args.folds,
        "post_classifier_C": args.post_classifier_c,
        **({"coverage": True} if args.coverage else {}),
        **({"post_classifier_ngrams": args.post_classifier_ngrams}
           if args.post_classifier_ngrams else {}),
        **({"post_date": args.post_date.isoformat(), "claim_dates": "recent"}
           if args.post_date else {}),
        **({"background": [f.name for f in args.background],
            "background_size": args.background_size,
            "background_exclude": args.background_exclude} if args.background else {}),
        "reranker_folds": 0 if args.posts else args.reranker_folds,
        "target_precision": args.target_precision, "max_false_alarm": args.max_false_alarm,
        **{f"cv_{k}": round(float(v), 4) for k, v in cv.as_json().items()},
        **selected,
    }  # fmt: skip
    fitted = Calibrator(
        mean=tuple(float(x) for x in mean), scale=tuple(float(x) for x in scale),
        coef=tuple(float(x) for x in coef), intercept=intercept, threshold=threshold,
        margin=margin, catalogs=(matcher.catalog.name,), meta=meta, classifier=classifier,
        features=FEATURES + (COVERAGE_FEATURES if args.coverage else ())
        + (CLASS_FEATURES if classifier else ()),
    )  # fmt: skip
    if args.recent_into is not None:
        parent = Calibrator.load(args.recent_into)
        fitted = dataclasses.replace(parent, recent=dataclasses.replace(fitted, catalogs=()))
    fitted.save(args.out)
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
