"""Which ranked candidates of one post become hits. Pure (numpy).

Two modes (`MatcherConfig.decision`):
- ``fused``: every candidate whose ranking score reaches its narrative's threshold
  (`MatcherConfig.threshold_for`), best first, at most `top_k`;
- ``calibrated`` (live default): the calibrator's probability of match
  (`models.matching.calibration`) for the top `Calibrator.depth` candidates, against the
  probability threshold (the config's, else the calibrator's documented one, plus severity
  offsets; a narrative's own `threshold` is then a probability), with the margin rule against the
  best competing narrative. The hit's score becomes that probability. A calibrator with a post
  classifier also reads each candidate's class features (`candidate_classes`), one with coverage
  features each candidate's `models.matching.coverage` row (`NarrativeMatcher.coverage_rows`).

Both keep the ranking's order and require every `required_terms` entry in the post.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.catalog.schema import Narrative
from models.matching.calibration import Calibrator, Score, calibration_features, select_hits
from models.matching.explain import contains_term
from models.matching.post_classes import class_features
from models.matching.types import Candidate, MatcherConfig


@dataclass(frozen=True)
class HitDecision:
    """A candidate that is a hit: its score (fused, or the calibrated probability) and the
    threshold it reached."""

    candidate: Candidate
    threshold: float


def _allowed(narrative: Narrative, lowered: str) -> bool:
    return all(contains_term(lowered, term) for term in narrative.required_terms)


def candidate_days(
    candidates: Sequence[Candidate], claim_days: np.ndarray, date: dt.date | None
) -> np.ndarray:
    """``claim_date - post_date`` in days per candidate (NaN when either is unknown)."""
    post_day = date.toordinal() if date is not None else np.nan
    ids = np.asarray([c.narrative for c in candidates], dtype=np.int64)
    return np.asarray(claim_days[ids] - post_day, dtype=np.float64)


def candidate_classes(
    candidates: Sequence[Candidate], depth: int, class_probs: np.ndarray | None,
    columns: np.ndarray | None,
) -> np.ndarray | None:  # fmt: skip
    """The class features of the first `depth` candidates from one post's class probabilities
    (`PostClassifier.probabilities`); `columns[i]`: narrative i's class column
    (`PostClassifier.column_of`). None when there is no classifier."""
    if class_probs is None or columns is None:
        return None
    ids = np.asarray([c.narrative for c in candidates[:depth]], dtype=np.int64)
    return class_features(class_probs, columns[ids])


def calibration_rows(
    candidates: Sequence[Candidate], days: np.ndarray, score: Score, depth: int, *,
    background: float | None = None, coverage: np.ndarray | None = None,
    classes: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """The calibrator's feature rows for the first `depth` candidates (what training collects
    and what the live decision scores). `background`: the post's best near-miss cosine;
    `coverage`: their `models.matching.coverage` rows; `classes`: `candidate_classes`."""
    top = candidates[:depth]
    return calibration_features(
        np.asarray([c.for_decision for c in top]), np.asarray([c.dense for c in top]),
        np.asarray([c.lexical for c in top]), days[: len(top)], score, background=background,
        coverage=coverage, classes=classes,
    )  # fmt: skip


def calibrated_probabilities(
    calibrator: Calibrator, candidates: Sequence[Candidate], days: np.ndarray,
    background: float | None = None, classes: np.ndarray | None = None, *,
    coverage: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """The calibrator's probability for the first `calibrator.depth` candidates."""
    if (classes is None) != (calibrator.classifier is None):
        raise ValueError("the calibrator's post classifier and the class features go together")
    if (coverage is None) == calibrator.coverage:
        raise ValueError("the calibrator's coverage features and the coverage rows go together")
    rows = calibration_rows(candidates, days, calibrator.score, calibrator.depth,
                            background=background, coverage=coverage,
                            classes=classes)  # fmt: skip
    return calibrator.probabilities(rows)


def decide_hits(
    candidates: Sequence[Candidate], narratives: Sequence[Narrative], config: MatcherConfig,
    lowered_text: str, *, calibrator: Calibrator | None = None, days: np.ndarray | None = None,
    background: float | None = None, classes: np.ndarray | None = None,
    coverage: np.ndarray | None = None,
) -> list[HitDecision]:  # fmt: skip
    """The hits among one post's ranked `candidates` (see module docstring). `narratives` is
    indexed by `Candidate.narrative`; `calibrator` and `days` are needed in calibrated mode,
    `background` (the post's best near-miss cosine) when the catalog has near-misses, `classes`
    (`candidate_classes`) when the calibrator has a post classifier, `coverage` (the first
    `calibrator.depth` candidates' `models.matching.coverage` rows) when it reads them."""
    if config.decision == "fused":
        out = []
        for cand in candidates:
            n = narratives[cand.narrative]
            threshold = config.threshold_for(n.severity, n.threshold)
            if cand.fused >= threshold and _allowed(n, lowered_text):
                out.append(HitDecision(cand, threshold))
                if len(out) >= config.top_k:
                    break
        return out
    if not candidates:
        return []
    if calibrator is None or days is None:
        raise ValueError("calibrated decision needs a calibrator and candidate days")
    probs = calibrated_probabilities(calibrator, candidates, days, background, classes,
                                     coverage=coverage)  # fmt: skip
    top = candidates[: len(probs)]
    base = config.probability_threshold
    base = calibrator.threshold if base is None else base
    thresholds = np.asarray([
        config.threshold_for(narratives[c.narrative].severity, narratives[c.narrative].threshold,
                             base) if _allowed(narratives[c.narrative], lowered_text) else np.inf
        for c in top
    ])  # fmt: skip
    margin = calibrator.margin if config.hit_margin is None else config.hit_margin
    return [
        HitDecision(dataclasses.replace(top[i], fused=float(probs[i])), float(thresholds[i]))
        for i in select_hits(probs, thresholds, margin, config.top_k)
    ]
