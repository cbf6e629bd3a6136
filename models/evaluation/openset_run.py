"""Run the live decision open-set on CheckThat!-style data (`models.evaluation.openset`).

`rank_open_set` leaves the gold claims of a fixed random part of the queries out of the catalog
(`leave_out_split`, seeded), rebuilds the matcher for that catalog with the same model and
config, and ranks every query once. `run_openset` then makes the matcher's own hit decision
(`NarrativeMatcher.decide`, exactly what `match` does) at the live settings and at each threshold
of the curve. Blocking and CPU-bound (query embeddings come from the on-disk cache when warm).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.evaluation.openset import (
    OpenSetMetrics,
    Outcome,
    curve,
    leave_out_catalog,
    leave_out_split,
    removed_claims,
    score_outcomes,
)  # fmt: skip
from models.matching.matcher import Candidate, MatcherConfig, NarrativeMatcher
from models.matching.query import clean_post_text, post_date

DEFAULT_THRESHOLDS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))


@dataclass(frozen=True)
class RankedOpenSet:
    """One leave-out catalog's matcher and its ranking of every query with qrels."""

    matcher: NarrativeMatcher
    query_ids: list[str]
    cleaned: list[str]
    dates: list[dt.date | None]
    ranked: list[list[Candidate]]
    present: list[frozenset[str]]
    left_out: set[str]
    background: list[float | None]


def rank_open_set(
    matcher: NarrativeMatcher, queries: Mapping[str, str], qrels: Mapping[str, set[str]],
    left_out: set[str], posted: dt.date | None = None,
) -> RankedOpenSet:  # fmt: skip
    """Rank every query with qrels against the catalog without the `left_out` queries' claims.
    Each query is dated by its tweet attribution, or every one `posted` (as a monitor dates a
    post it sees that day) when given."""
    removed = removed_claims(qrels, left_out)
    sub = matcher.with_catalog(leave_out_catalog(matcher.catalog, removed))
    sub.warm_up()
    ids = [q for q in sorted(qrels) if q in queries]
    texts = [queries[q] for q in ids]
    dates = [post_date(t) for t in texts] if posted is None else [posted] * len(texts)
    cleaned = [clean_post_text(t) for t in texts]
    vectors = sub.embedder.encode_cached(cleaned)
    ranked = sub.rank(texts, dates=dates, vectors=vectors)
    kept = {r.id for r in sub.narratives()}
    present = [frozenset(qrels[q] & kept) for q in ids]
    background = sub.background_scores(vectors)
    return RankedOpenSet(sub, ids, cleaned, list(dates), ranked, present, left_out, background)


def outcomes(ranked: RankedOpenSet, config: MatcherConfig | None = None) -> list[Outcome]:
    """Each query's hits under the matcher's decision (its config, or `config`)."""
    m = ranked.matcher
    refs = m.narratives()
    out = []
    for q, cands in enumerate(ranked.ranked):
        date = ranked.dates[q]
        hits = m.decide(ranked.cleaned[q], cands, date, config, background=ranked.background[q])
        out.append(Outcome(ranked.present[q], tuple(refs[h.candidate.narrative].id for h in hits)))
    return out


def at_threshold(config: MatcherConfig, threshold: float) -> MatcherConfig:
    """`config` with its decision's threshold (probability or fused) set to `threshold`."""
    if config.decision == "calibrated":
        return dataclasses.replace(config, probability_threshold=threshold)
    return dataclasses.replace(config, threshold=threshold)


def live_threshold(matcher: NarrativeMatcher, posted: dt.date | None = None) -> float:
    """The threshold the live decision applies (to posts all dated `posted`, when given: the
    calibrator's `recent` part decides them when they read only recent claim dates)."""
    config = matcher.config
    if config.decision == "fused":
        return config.threshold
    own = config.probability_threshold
    if own is not None:
        return own
    decides = matcher.calibrator_for_post(posted)
    assert decides is not None
    return decides.threshold


@dataclass(frozen=True)
class OpenSetRun:
    live: OpenSetMetrics
    points: list[OpenSetMetrics]
    decision: str
    catalog_narratives: int
    left_out_queries: int
    removed_claims: int


def run_openset(
    matcher: NarrativeMatcher, queries: Mapping[str, str], qrels: Mapping[str, set[str]],
    *, leave_out: float = 0.5, seed: int = 13, thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    posted: dt.date | None = None,
) -> OpenSetRun:  # fmt: skip
    """Open-set metrics at the live settings and over `thresholds` (see module docstring);
    `posted`: date every query that day (`rank_open_set`)."""
    ids = [q for q in qrels if q in queries]
    left = leave_out_split(ids, leave_out, seed)
    ranked = rank_open_set(matcher, queries, qrels, left, posted)
    m = ranked.matcher
    live = score_outcomes(outcomes(ranked), live_threshold(m, posted))
    points = curve(lambda t: outcomes(ranked, at_threshold(m.config, t)), thresholds)
    return OpenSetRun(
        live=live, points=points, decision=m.config.decision,
        catalog_narratives=len(m.narratives()), left_out_queries=len(left),
        removed_claims=len(matcher.narratives()) - len(m.narratives()),
    )  # fmt: skip
