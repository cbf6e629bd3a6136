"""Learning-to-rank re-ranker over the matcher's top linear candidates. Pure numpy at run time.

Contracts:
- `feature_matrix(evidence)` turns the raw evidence of one post's candidates (in linear-fusion
  order, best first) into the rows `FEATURES` names: the dense, lexical and fused scores; per-field
  cosines (first exemplar, which for a CheckThat! claim is the claim itself; the title; the mean
  over exemplars); each of those relative to the post's best candidate (the gap); the log rank;
  and date proximity between the post and the narrative's `claim_date` (days = claim - post).
  A missing date on either side makes every date feature 0 (``has_date`` 0): neutral.
- `Reranker.score(rows)` is a logistic model: ``sigmoid(((rows - mean) / scale) @ coef + b)``,
  a probability that the candidate is a relevant narrative for the post. The matcher uses it as
  the fused score, so a threshold on it reads "at least this likely".
- Weights are JSON (`Reranker.load` / `save`); they are fit on a TRAIN split by
  `models.evaluation.rerank_train` (scikit-learn, training only), never on what is evaluated.
- Why dates: fact checks follow the posts they check within days (on CheckThat! 2022 2A train,
  the median claim comes 2 days after its tweet; 75% within a week), while look-alike claims are
  spread over years. Posts carry dates (tweet attribution, or the post's own timestamp), and so
  do verified claims. Train 5-fold MAP@5 (top 20): 0.861 linear -> 0.868 + fields -> 0.910 + dates.
- `recent_claims_only(days)` is how the live hit decision reads those dates when the post is not
  older than the catalog (`MatcherConfig.claim_dates`): a claim dated more than
  `RECENT_BEFORE_DAYS` before its post counts as undated. The weights learned from CheckThat!,
  where the catalog was compiled after the tweets and a fact check follows its tweet, that a
  claim checked long before the post is a look-alike. A monitor matches posts newer than every
  claim in its catalog, and old claims resurface (models/README.md, "Claim dates in a live
  monitor"): there an old date may order candidates but not sink the probability that one is the
  post's claim. A recent one still counts for it (``within_month`` starts `RECENT_BEFORE_DAYS`
  before the post). `after_the_fact(newest_claim_day, post_day)` tells the two apart: the
  catalog holds a claim dated more than `FOLLOW_DAYS` (the end of ``within_month``) after the
  post. Ranking and training read every date.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.files import write_json

logger = logging.getLogger(__name__)

Floats = npt.NDArray[np.float64]

FEATURES: tuple[str, ...] = (
    "dense", "lexical", "fused", "dense_gap", "lexical_gap", "fused_gap", "log_rank",
    "cos_first", "cos_title", "cos_mean", "cos_first_gap", "cos_title_gap", "cos_mean_gap",
    "has_date", "after_log", "before_log", "within_week", "within_month",
)  # fmt: skip
_FIELDS = ("dense", "lexical", "fused", "cos_first", "cos_title", "cos_mean")
_COLUMN = {name: i for i, name in enumerate(FEATURES)}
# re-score the whole candidate union (dense top 50 + lexical top 50): dates lift true claims from
# far down; train 5-fold CV MAP@5 by depth: 20 -> 0.910, 40 -> 0.917, 100 -> 0.921
DEFAULT_DEPTH = 100
# ``within_month`` counts claims dated from this many days before the post (older ones: read as
# undated by `recent_claims_only`) to this many after it (a catalog with claims dated later than
# that was compiled after the post: `after_the_fact`)
RECENT_BEFORE_DAYS = 3
FOLLOW_DAYS = 31


@dataclass(frozen=True)
class Evidence:
    """Raw evidence for one post's candidates, one entry per candidate in linear order.
    `days` is ``claim_date - post_date`` in days, NaN where either is unknown."""

    dense: Floats
    lexical: Floats
    fused: Floats
    cos_first: Floats
    cos_title: Floats
    cos_mean: Floats
    days: Floats


def feature_matrix(evidence: Evidence) -> Floats:
    """One row of `FEATURES` per candidate (shape ``(candidates, len(FEATURES))``)."""
    n = len(evidence.dense)
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    out = np.empty((n, len(FEATURES)))
    for name in _FIELDS:
        values = np.asarray(getattr(evidence, name), dtype=np.float64)
        out[:, _COLUMN[name]] = values
        out[:, _COLUMN[f"{name}_gap"]] = values - values.max()
    out[:, _COLUMN["log_rank"]] = np.log1p(np.arange(n, dtype=np.float64))
    days = np.asarray(evidence.days, dtype=np.float64)
    known = ~np.isnan(days)
    safe = np.where(known, days, 0.0)
    out[:, _COLUMN["has_date"]] = known
    out[:, _COLUMN["after_log"]] = np.where(known, np.log1p(np.maximum(safe, 0.0)), 0.0)
    out[:, _COLUMN["before_log"]] = np.where(known, np.log1p(np.maximum(-safe, 0.0)), 0.0)
    out[:, _COLUMN["within_week"]] = known & (safe >= 0) & (safe <= 7)
    out[:, _COLUMN["within_month"]] = known & (safe >= -RECENT_BEFORE_DAYS) & (safe <= FOLLOW_DAYS)
    return out


def recent_claims_only(days: Floats) -> Floats:
    """`days` (``claim_date - post_date`` per candidate) with each claim dated more than
    `RECENT_BEFORE_DAYS` before its post set to NaN (undated); a copy."""
    out = np.array(days, dtype=np.float64)
    out[out < -RECENT_BEFORE_DAYS] = np.nan
    return out


def after_the_fact(newest_claim_day: float, post_day: float) -> bool:
    """Whether a post dated `post_day` is matched after the fact: its catalog's newest claim
    (ordinal days; NaN: none dated) is dated more than `FOLLOW_DAYS` after it."""
    return bool(newest_claim_day - post_day > FOLLOW_DAYS)


def standardised_logistic(
    rows: Floats,
    mean: Sequence[float],
    scale: Sequence[float],
    coef: Sequence[float],
    intercept: float,
) -> Floats:
    """A fitted logistic model over standardised features: ``sigmoid(((rows - mean) / scale) @
    coef + intercept)`` per row. Shared by the re-ranker and the calibrator. Pure."""
    z = (rows - np.asarray(mean)) / np.asarray(scale)
    logits = z @ np.asarray(coef) + intercept
    return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float64)


@dataclass(frozen=True)
class Reranker:
    """A fitted logistic re-ranker (see module docstring). `depth`: how many linear candidates
    it re-scores; `meta`: provenance (training split, model, catalog, CV figures)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    depth: int = DEFAULT_DEPTH
    features: tuple[str, ...] = FEATURES
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.features != FEATURES:
            raise ValueError(f"re-ranker features {self.features} do not match {FEATURES}")
        if not len(self.mean) == len(self.scale) == len(self.coef) == len(FEATURES):
            raise ValueError("re-ranker weights must have one entry per feature")

    def score(self, rows: Floats) -> Floats:
        """Probability of relevance per row of `feature_matrix`."""
        return standardised_logistic(rows, self.mean, self.scale, self.coef, self.intercept)

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
            "coef": list(self.coef), "intercept": self.intercept, "depth": self.depth,
            "meta": self.meta,
        }  # fmt: skip

    def save(self, path: Path) -> None:
        write_json(Path(path), self.to_json())

    @classmethod
    def load(cls, path: Path) -> Reranker:
        """Raises ValueError for weights that do not fit `FEATURES` (e.g. an older file)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            mean=tuple(float(x) for x in data["mean"]),
            scale=tuple(float(x) for x in data["scale"]),
            coef=tuple(float(x) for x in data["coef"]),
            intercept=float(data["intercept"]),
            depth=int(data.get("depth", DEFAULT_DEPTH)),
            features=tuple(data["features"]),
            meta=dict(data.get("meta", {})),
        )


SHIPPED_CHECKTHAT = Path(__file__).parents[1] / "rerankers" / "checkthat-2022-2a-en.json"
