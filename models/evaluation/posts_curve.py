"""What each hit threshold costs on labelled posts: the precision / recall curve an analyst reads
before choosing a catalog's threshold (`narrmon eval posts --curve / --target-precision`).

`posts_curve(matcher, posts, thresholds)` ranks and embeds every post once, then makes the
matcher's own hit decision (`NarrativeMatcher.decide`, exactly what `match` does) at each
threshold (a probability in the calibrated decision, a fused score otherwise) and scores the top
hit per post with `models.evaluation.posts_eval.score_posts`: at the live threshold the point
equals `score_posts(posts, predict(matcher, posts))` on narrative, precision, recall and chatter
false positives (stance is not scored along the curve). `at_precision(points, target)` picks the
threshold with the best recall whose precision reaches `target`. Blocking, CPU-bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from models.evaluation.openset_run import DEFAULT_THRESHOLDS, at_threshold
from models.evaluation.posts_eval import LabelledPost, Prediction, score_posts
from models.matching.query import clean_post_text

if TYPE_CHECKING:
    from models.matching.matcher import NarrativeMatcher


@dataclass(frozen=True)
class CurvePoint:
    """Top-hit quality at one threshold (`models.evaluation.posts_eval` definitions)."""

    threshold: float
    precision: float
    recall: float
    chatter_fp_rate: float
    chatter_hits: int
    chatter: int
    predicted: int

    def as_json(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold, "precision": self.precision, "recall": self.recall,
            "chatter_fp_rate": self.chatter_fp_rate, "chatter_hits": self.chatter_hits,
            "chatter": self.chatter, "predicted": self.predicted,
        }  # fmt: skip


def posts_curve(
    matcher: NarrativeMatcher, posts: Sequence[LabelledPost],
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> list[CurvePoint]:  # fmt: skip
    """One `CurvePoint` per threshold (see module docstring)."""
    cleaned = [clean_post_text(p.text) if p.text.strip() else "" for p in posts]
    dates = [p.date for p in posts]
    matcher.warm_up()
    vectors = matcher.embedder.encode([c or " " for c in cleaned])  # as `match` embeds
    ranked = matcher.rank(cleaned, dates=dates, vectors=vectors)
    backgrounds = matcher.background_scores(vectors)
    classes = matcher.class_probabilities(vectors, cleaned)
    refs = matcher.narratives()
    points = []
    for threshold in thresholds:
        config = at_threshold(matcher.config, threshold)
        predictions = []
        for q, candidates in enumerate(ranked):
            hits = (
                matcher.decide(cleaned[q], candidates, dates[q], config,
                               background=backgrounds[q],
                               class_probs=None if classes is None else classes[q])
                if cleaned[q]
                else []
            )  # fmt: skip
            top = refs[hits[0].candidate.narrative].id if hits else None
            also = tuple(refs[h.candidate.narrative].id for h in hits[1:])
            predictions.append(Prediction(top, also=also))
        report = score_posts(posts, predictions)
        points.append(CurvePoint(threshold, report.precision, report.recall,
                                 report.chatter_fp_rate, report.chatter_hits, report.chatter,
                                 report.predicted))  # fmt: skip
    return points


def at_precision(points: Sequence[CurvePoint], target: float) -> CurvePoint | None:
    """The point with the best recall among those whose precision reaches `target` (ties: fewer
    chatter hits, then the lower threshold); None when no threshold reaches it."""
    ok = [p for p in points if p.predicted and p.precision >= target]
    if not ok:
        return None
    return max(ok, key=lambda p: (p.recall, -p.chatter_hits, -p.threshold))
