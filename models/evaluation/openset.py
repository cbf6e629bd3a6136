"""Open-set matching quality: does each post get a hit, and on the right narrative? Pure.

The catalog lacks the true claim of some posts (built by `leave_out_split` + `leave_out_catalog`
from a closed-set benchmark such as CheckThat!), so a hit can be right, wrong, or a false alarm.
Per query an `Outcome` holds the gold narratives still in the catalog (``present``; empty: the
query's claim was left out) and the hits the decision made, in order. Metrics:
- recall: present queries with a hit on a gold narrative / present queries;
- top-1 accuracy: present queries whose FIRST hit is gold / present queries;
- false-alarm rate: absent queries with any hit / absent queries;
- hit precision: hits on a gold narrative / all hits; hits per post: all hits / queries.
`curve` evaluates many thresholds; `at_precision` picks the threshold for a target precision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from models.catalog.schema import Catalog


@dataclass(frozen=True)
class Outcome:
    present: frozenset[str]
    hits: tuple[str, ...]


@dataclass(frozen=True)
class OpenSetMetrics:
    threshold: float
    queries: int
    present: int
    absent: int
    recall: float
    top1_accuracy: float
    false_alarm_rate: float
    hit_precision: float
    hits_per_post: float
    hits: int

    def as_json(self) -> dict[str, float | int]:
        return asdict(self)


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def score_outcomes(outcomes: Sequence[Outcome], threshold: float) -> OpenSetMetrics:
    """The metrics of the module docstring for one decision (made at `threshold`)."""
    present = [o for o in outcomes if o.present]
    absent = [o for o in outcomes if not o.present]
    hits = sum(len(o.hits) for o in outcomes)
    right = sum(sum(h in o.present for h in o.hits) for o in outcomes)
    return OpenSetMetrics(
        threshold=threshold,
        queries=len(outcomes),
        present=len(present),
        absent=len(absent),
        recall=_ratio(sum(bool(o.present.intersection(o.hits)) for o in present), len(present)),
        top1_accuracy=_ratio(
            sum(bool(o.hits) and o.hits[0] in o.present for o in present), len(present)
        ),
        false_alarm_rate=_ratio(sum(bool(o.hits) for o in absent), len(absent)),
        hit_precision=_ratio(right, hits),
        hits_per_post=_ratio(hits, len(outcomes)),
        hits=hits,
    )


def curve(
    decide: Callable[[float], Sequence[Outcome]], thresholds: Iterable[float]
) -> list[OpenSetMetrics]:
    """`score_outcomes` at each threshold; `decide(t)` makes every query's hits at `t`."""
    return [score_outcomes(decide(t), t) for t in thresholds]


def at_precision(points: Sequence[OpenSetMetrics], target: float) -> OpenSetMetrics | None:
    """The point with the best recall among those whose hit precision reaches `target` (ties:
    the lower false-alarm rate); None when no threshold reaches it."""
    ok = [p for p in points if p.hits and p.hit_precision >= target]
    if not ok:
        return None
    return max(ok, key=lambda p: (p.recall, -p.false_alarm_rate, -p.threshold))


def leave_out_split(query_ids: Iterable[str], fraction: float, seed: int) -> set[str]:
    """A fixed random `fraction` of the queries (sorted ids, numpy seeded permutation)."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("leave-out fraction must be in [0, 1]")
    ids = sorted(set(query_ids))
    order = np.random.default_rng(seed).permutation(len(ids))
    return {ids[i] for i in order[: round(fraction * len(ids))]}


def leave_out_catalog(catalog: Catalog, removed: set[str]) -> Catalog:
    """`catalog` without the narratives whose id is in `removed` (same name)."""
    kept = tuple(n for n in catalog.narratives if n.id not in removed)
    return Catalog(name=catalog.name, narratives=kept, description=catalog.description,
                   sources=catalog.sources)  # fmt: skip


def removed_claims(qrels: Mapping[str, set[str]], left_out: set[str]) -> set[str]:
    """Every gold claim of the left-out queries."""
    return {claim for q in left_out for claim in qrels.get(q, set())}
