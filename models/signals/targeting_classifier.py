"""Learnt targeting probability: a logistic model over a post's sentence embedding (the packaged
model the matcher already runs), fit on the labelled targeting tuning split.

Why: the regular-expression lexicon (`targeting_patterns`) matches the phrasings it was written
from and little else; on posts written after it, recall fell to 0.20 (see `models/README.md`).
A linear model over embeddings generalises to paraphrases of the same intents (identify, expose,
visit, veiled warnings) and learns what news, thanks, condemnation and criticism of officials look
like. It is cheap at run time: one dot product per post on the embedding the matcher computed.

Contract: `TargetingClassifier.probabilities(vectors)` -> P(targeting) per L2-normalised
embedding row; `threshold` is the probability the post is flagged at (chosen by cross-validation
on the tuning split, stored with the weights). `load_classifier(path)` reads a JSON file written
by `models.evaluation.targeting_train` and raises ValueError naming the file and the missing or
malformed field. The decision (a role word must be present too) is `models.signals.targeting`'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.files import write_json

Floats = npt.NDArray[np.float64]
DEFAULT_CLASSIFIER = Path(__file__).parents[1] / "classifiers" / "targeting.json"


@dataclass(frozen=True)
class TargetingClassifier:
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.coef:
            raise ValueError("targeting classifier has no weights")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError("targeting classifier threshold must be a probability in (0, 1)")

    @property
    def dims(self) -> int:
        return len(self.coef)

    def probabilities(self, vectors: npt.ArrayLike) -> Floats:
        """P(targeting) for each row of `vectors` (shape ``(n, dims)``)."""
        rows = np.asarray(vectors, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.dims:
            raise ValueError(f"expected embeddings of {self.dims} dims, got shape {rows.shape}")
        logits = rows @ np.asarray(self.coef, dtype=np.float64) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        return {
            "coef": [round(c, 8) for c in self.coef],
            "intercept": round(self.intercept, 8),
            "threshold": self.threshold,
            "meta": self.meta,
        }

    def save(self, path: Path) -> None:
        write_json(Path(path), self.to_json())


def load_classifier(path: Path = DEFAULT_CLASSIFIER) -> TargetingClassifier:
    """The classifier stored at `path`; ValueError names the file and the field."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable targeting classifier: {exc}") from exc
    try:
        return TargetingClassifier(
            coef=tuple(float(c) for c in data["coef"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            meta=dict(data.get("meta", {})),
        )
    except KeyError as exc:
        raise ValueError(f"{path}: targeting classifier lacks field {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: malformed targeting classifier: {exc}") from exc
