"""Catalog edits backed by reviews (``narrmon catalog suggest``). Pure.

For one narrative and its reviewed hits: confirmed hits become candidate exemplars (lowest score
first: those widen what the narrative catches), false positives candidate near-misses
(highest score first: the most confusable; a near-miss lowers the match probability of posts
like it, where a counter-exemplar would make them hits with stance `debunks`), and the threshold
is raised only when the reviews show precision below `target` and a higher threshold would reach
it. Reviews never show misses
(hits below the threshold are never reviewed), so a threshold is never LOWERED from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.catalog import Narrative
from pipeline.feedback.stats import RIGHT, WRONG

MAX_EXEMPLAR_CHARS = 500


@dataclass(frozen=True)
class ReviewedHit:
    text: str
    label: str
    score: float


@dataclass(frozen=True)
class Suggestion:
    narrative_id: str
    current_threshold: float
    exemplars: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()
    threshold: float | None = None
    reasons: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.exemplars or self.near_misses or self.threshold is not None)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _new_texts(hits: Sequence[ReviewedHit], known: Sequence[str], limit: int) -> tuple[str, ...]:
    seen = {_key(t) for t in known}
    out: list[str] = []
    for hit in hits:
        text = " ".join(hit.text.split())
        if not text or len(text) > MAX_EXEMPLAR_CHARS or _key(text) in seen:
            continue
        seen.add(_key(text))
        out.append(text)
        if len(out) >= limit:
            break
    return tuple(out)


def _precision(judged: Sequence[ReviewedHit], threshold: float) -> tuple[float | None, int, int]:
    kept = [h for h in judged if h.score >= threshold]
    right = sum(h.label in RIGHT for h in kept)
    return (right / len(kept) if kept else None), right, len(kept) - right


def suggest(
    narrative: Narrative,
    hits: Sequence[ReviewedHit],
    current_threshold: float,
    *,
    max_new: int = 5,
    min_judged: int = 5,
    target: float = 0.9,
) -> Suggestion:
    """What the reviews of `narrative`'s hits suggest changing (see the module docstring)."""
    confirmed = sorted((h for h in hits if h.label == "confirmed"), key=lambda h: h.score)
    wrong = sorted((h for h in hits if h.label in WRONG), key=lambda h: -h.score)
    known = [*narrative.exemplars, *narrative.counter_exemplars, *narrative.near_misses]
    exemplars = _new_texts(confirmed, known, max_new)
    counters = _new_texts(wrong, known, max_new)
    reasons: list[str] = []
    if exemplars:
        reasons.append(f"{len(exemplars)} confirmed hit(s) not yet exemplars")
    if counters:
        reasons.append(f"{len(counters)} false positive(s) as near-misses")
    judged = [h for h in hits if h.label in (*RIGHT, *WRONG)]
    threshold = None
    now, right, bad = _precision(judged, current_threshold)
    if len(judged) < min_judged:
        reasons.append(f"threshold kept: {len(judged)} judged review(s), {min_judged} needed")
    elif now is not None and now >= target:
        reasons.append(
            f"threshold kept: precision {now:.2f} ({right} correct, {bad} false positive) "
            f">= {target:.2f}; reviews cannot show misses, so they never lower it"
        )
    else:
        for score in sorted({h.score for h in judged}):
            cut = math.floor(score * 1000) / 1000
            if cut <= current_threshold:
                continue
            after, kept_right, kept_bad = _precision(judged, cut)
            if after is not None and after >= target and kept_right:
                threshold = cut
                reasons.append(
                    f"threshold {current_threshold:.3f} -> {cut:.3f}: precision over "
                    f"{len(judged)} judged reviews {now or 0:.2f} -> {after:.2f}; drops "
                    f"{bad - kept_bad} of {bad} false positives and {right - kept_right} of "
                    f"{right} correct hits"
                )
                break
        else:
            reasons.append(
                f"threshold kept: precision {now or 0:.2f} < {target:.2f} but no higher threshold "
                "reaches it without losing every correct hit; consider required_terms"
            )
    return Suggestion(
        narrative.id, current_threshold, exemplars, counters, threshold, tuple(reasons)
    )
