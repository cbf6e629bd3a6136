"""Hit or no hit: a calibrated probability that a ranked candidate is the post's narrative. Pure
numpy at run time.

Contracts:
- `calibration_features(scores, dense, lexical, days)` turns one post's ranked candidates (best
  first, in the live ranking's order) into the rows `FEATURES` names. ``score`` is the ranking's
  own score (the re-ranker's probability, or the linear fused score when there is no re-ranker);
  each signal also appears as a *margin* against the best competing candidate (for the top
  candidate: itself minus the runner-up; for the others: itself minus the top), so a narrative
  that barely beats another reads as less certain. ``days`` is ``claim_date - post_date`` (NaN
  when either is unknown). ``background`` is the post's best cosine to any near-miss of the
  catalog (`Narrative.near_misses`: on-topic posts that make no tracked claim); the rows carry it
  and each candidate's dense score minus it (both 0 when the catalog has no near-misses, so a
  calibrator fit on such a catalog gives them no weight). ``classes`` (optional): each
  candidate's `CLASS_FEATURES` from the calibrator's `PostClassifier`
  (`models.matching.post_classes`), appended to the row; a calibrator with a classifier expects
  them (`Calibrator.features`), one without does not. ``coverage`` (optional): each candidate's
  `COVERAGE_FEATURES` (`models.matching.coverage`), between the two; a calibrator whose features
  name them (`Calibrator.coverage`) expects them.
- `Calibrator.probabilities(rows)` is a logistic model (Platt scaling over several features):
  ``sigmoid(((rows - mean) / scale) @ coef + b)``. It is fit OPEN-SET (posts whose narrative is
  not in the catalog are part of the training data), so its output reads "probability that this
  candidate is right", and a threshold on it is a probability.
- `select_hits(probabilities, thresholds, margin, max_hits)` is the decision: a candidate is a hit
  when its probability reaches its threshold; a candidate other than the most probable one is a
  hit only if it is also within `margin` of the best competing narrative's probability; at most
  `max_hits`, in ranking order. So the number of hits per post follows the probabilities.
- JSON files (`Calibrator.load` / `save`) carry the threshold documented for the catalogs they
  were fit for (`catalogs`), the margin, the ranking they expect (``score``: ``rerank`` or
  ``fused``) and provenance (`meta`), and optionally a ``recent`` part: the calibrator for a
  monitor's fresh posts on a dated catalog (`Calibrator.recent`). They are built by
  `models.evaluation.calibrate_train`.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from models.files import write_json
from models.matching.coverage import COVERAGE_FEATURES
from models.matching.post_classes import CLASS_FEATURES, PostClassifier
from models.matching.rerank import standardised_logistic

logger = logging.getLogger(__name__)

Floats = npt.NDArray[np.float64]
Score = Literal["rerank", "fused"]

FEATURES: tuple[str, ...] = (
    "score_logit", "score_margin", "dense", "dense_margin", "lexical", "lexical_margin",
    "log_rank", "has_date", "within_week", "background", "background_margin",
)  # fmt: skip
_COLUMN = {name: i for i, name in enumerate(FEATURES)}
CALIBRATORS_DIR = Path(__file__).parents[1] / "calibrators"
DEFAULT_CALIBRATOR = CALIBRATORS_DIR / "checkthat-2022-2a-en.json"
# candidates per post the calibrator scores (the rest are never hits)
DEFAULT_DEPTH = 5
_EPS = 1e-6


def _margin(values: Floats) -> Floats:
    """Each value minus the best OTHER value (0 for a single candidate)."""
    if len(values) < 2:
        return np.zeros(len(values))
    order = np.argsort(-values, kind="stable")
    best, second = values[order[0]], values[order[1]]
    others = np.where(np.arange(len(values)) == order[0], second, best)
    return np.asarray(values - others, dtype=np.float64)


def calibration_features(
    scores: Floats, dense: Floats, lexical: Floats, days: Floats, score: Score = "rerank",
    *, background: float | None = None, coverage: Floats | None = None,
    classes: Floats | None = None,
) -> Floats:  # fmt: skip
    """One row of `FEATURES` per candidate (ranking order, best first), followed by
    `coverage`'s row and then `classes`' row when given."""
    n = len(scores)
    if n == 0:
        width = len(FEATURES) + (0 if coverage is None else len(COVERAGE_FEATURES))
        return np.zeros((0, width + (0 if classes is None else len(CLASS_FEATURES))))
    s = np.asarray(scores, dtype=np.float64)
    if score == "rerank":
        clipped = np.clip(s, _EPS, 1 - _EPS)
        s = np.log(clipped / (1 - clipped))
    d = np.asarray(dense, dtype=np.float64)
    lex = np.asarray(lexical, dtype=np.float64)
    day = np.asarray(days, dtype=np.float64)
    known = ~np.isnan(day)
    safe = np.where(known, day, 0.0)
    out = np.empty((n, len(FEATURES)))
    out[:, _COLUMN["score_logit"]] = s
    out[:, _COLUMN["score_margin"]] = _margin(s)
    out[:, _COLUMN["dense"]] = d
    out[:, _COLUMN["dense_margin"]] = _margin(d)
    out[:, _COLUMN["lexical"]] = lex
    out[:, _COLUMN["lexical_margin"]] = _margin(lex)
    out[:, _COLUMN["log_rank"]] = np.log1p(np.arange(n, dtype=np.float64))
    out[:, _COLUMN["has_date"]] = known
    out[:, _COLUMN["within_week"]] = known & (safe >= 0) & (safe <= 7)
    out[:, _COLUMN["background"]] = 0.0 if background is None else background
    out[:, _COLUMN["background_margin"]] = 0.0 if background is None else d - background
    parts = [out]
    if coverage is not None:
        parts.append(np.asarray(coverage, dtype=np.float64)[:n])
    if classes is not None:
        parts.append(np.asarray(classes, dtype=np.float64)[:n])
    return np.hstack(parts) if len(parts) > 1 else out


def select_hits(
    probabilities: Floats, thresholds: Floats, margin: float, max_hits: int
) -> list[int]:
    """Indexes (ranking order) of the candidates that are hits (see module docstring)."""
    if len(probabilities) == 0:
        return []
    p = np.asarray(probabilities, dtype=np.float64)
    best = float(p.max())
    top = int(np.argmax(p))
    out = []
    for i, prob in enumerate(p):
        if prob < thresholds[i]:
            continue
        if i != top and best - prob > margin:
            continue
        out.append(i)
        if len(out) >= max_hits:
            break
    return out


@dataclass(frozen=True)
class Calibrator:
    """A fitted open-set calibrator (see module docstring). `threshold`: the probability a hit
    needs, as documented for `catalogs`; `margin`: how far below the most probable narrative a
    second hit may be; `depth`: candidates scored per post; `classifier`: the post classifier
    whose `CLASS_FEATURES` the rows carry (then `features` names them too); `recent`: the
    calibrator for a post whose decision reads only recent claim dates (a live monitor's fresh
    post, `NarrativeMatcher.recent_dates_only`), fit on rows read that way (same features, score
    and depth; None: this one decides those posts too)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    margin: float
    score: Score = "rerank"
    depth: int = DEFAULT_DEPTH
    catalogs: tuple[str, ...] = ()
    features: tuple[str, ...] = FEATURES
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    classifier: PostClassifier | None = None
    recent: Calibrator | None = None

    @property
    def coverage(self) -> bool:
        """Whether the rows carry `COVERAGE_FEATURES` (after `FEATURES`, before the classes)."""
        n = len(FEATURES)
        return self.features[n : n + len(COVERAGE_FEATURES)] == COVERAGE_FEATURES

    def __post_init__(self) -> None:
        expected = (
            FEATURES + (COVERAGE_FEATURES if self.coverage else ())
            + (CLASS_FEATURES if self.classifier is not None else ())
        )  # fmt: skip
        if self.features != expected:
            raise ValueError(f"calibrator features {self.features} do not match {expected}")
        if not len(self.mean) == len(self.scale) == len(self.coef) == len(expected):
            raise ValueError("calibrator weights must have one entry per feature")
        if not 0.0 <= self.threshold <= 1.0 or self.score not in ("rerank", "fused"):
            raise ValueError("calibrator threshold must be a probability, score rerank|fused")
        r = self.recent
        if r is not None and (
            (r.features, r.score, r.depth) != (self.features, self.score, self.depth)
            or r.recent is not None
            or (r.classifier, self.classifier) != (None, None)
        ):
            raise ValueError(
                "a recent-dates calibrator reads the same rows as its parent (same features, "
                "score and depth; neither with a post classifier) and has none of its own"
            )

    def for_post(self, recent_dates_only: bool) -> Calibrator:
        """The calibrator that decides a post (`recent` when it reads only recent claim dates
        and there is one)."""
        return self.recent if recent_dates_only and self.recent is not None else self

    def probabilities(self, rows: Floats) -> Floats:
        """Probability that each row's candidate is the post's narrative."""
        return standardised_logistic(rows, self.mean, self.scale, self.coef, self.intercept)

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
            "coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold,
            "margin": self.margin, "score": self.score, "depth": self.depth,
            "catalogs": list(self.catalogs), "meta": self.meta,
            **({"post_classifier": self.classifier.to_json()} if self.classifier else {}),
            **({"recent": self.recent.to_json()} if self.recent else {}),
        }  # fmt: skip

    def save(self, path: Path) -> None:
        write_json(Path(path), self.to_json())

    @classmethod
    def load(cls, path: Path) -> Calibrator:
        """Raises ValueError for a file that does not fit `FEATURES` or lacks a field."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        try:
            return cls.from_json(data)
        except KeyError as exc:
            raise ValueError(f"{path}: calibrator lacks field {exc}") from exc

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibrator:
        """Raises KeyError for a missing field, ValueError for weights that do not fit."""
        return cls(
            mean=tuple(float(x) for x in data["mean"]),
            scale=tuple(float(x) for x in data["scale"]),
            coef=tuple(float(x) for x in data["coef"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            margin=float(data["margin"]),
            score=data.get("score", "rerank"),
            depth=int(data.get("depth", DEFAULT_DEPTH)),
            catalogs=tuple(data.get("catalogs", ())),
            features=tuple(data["features"]),
            meta=dict(data.get("meta", {})),
            classifier=(
                PostClassifier.from_json(data["post_classifier"])
                if "post_classifier" in data
                else None
            ),
            recent=cls.from_json(data["recent"]) if "recent" in data else None,
        )


def calibrator_for(catalog_name: str) -> Calibrator:
    """The shipped calibrator fit for `catalog_name`, else the CheckThat! one (whose features
    are catalog-independent, but whose probabilities were fit on tweets against 14k claims),
    with a warning (once per catalog name): it is precision-first on other catalogs' posts."""
    return shipped_calibrator(catalog_name)[1]


def shipped_calibrator(catalog_name: str) -> tuple[Path, Calibrator]:
    """The shipped calibrator file fit for `catalog_name` and its contents, else the default's
    (with the fallback warning); each file is read once."""
    for path in sorted(CALIBRATORS_DIR.glob("*.json")):
        calibrator = Calibrator.load(path)
        if catalog_name in calibrator.catalogs:
            return path, calibrator
    _warn_fallback(catalog_name)
    return DEFAULT_CALIBRATOR, Calibrator.load(DEFAULT_CALIBRATOR)


@functools.lru_cache(maxsize=64)
def _warn_fallback(catalog_name: str) -> None:
    # measured in models/README.md ("Claim coverage"): the election catalog's tuning posts
    logger.warning(
        "catalog %r has no calibrator of its own in %s: hits are decided by %s, fit on tweets "
        "against 14k fact-check claims, which on another catalog's posts keeps precision and "
        "loses recall (on the election catalog's tuning posts: recall 0.63 at precision "
        "0.935; its own calibrator, each batch left out: 0.94 at 0.94). Fit one on labelled "
        "posts (python -m models.evaluation.calibrate_train --catalog ... --posts ... --out "
        "FILE), check it with "
        "narrmon eval posts --curve, and set NARRMON_MATCHER__CALIBRATOR=FILE",
        catalog_name, CALIBRATORS_DIR, DEFAULT_CALIBRATOR.name,
    )  # fmt: skip
