"""A learned stance: promotes / debunks / discusses from where the post sits between a narrative's
exemplars and counter-exemplars, plus the cue words of `models.matching.stance`. Pure numpy.

Contracts:
- `stance_features(post, exemplar, exemplar_scores, counter_scores)` is one row of
  `STANCE_FEATURES`: the post's best cosine to the narrative's exemplars and to its
  counter-exemplars, the difference of the two, the difference of the mean of the best two of
  each, and cue flags (a debunk cue not negated, a negated claim word, a reporting/question cue, a
  question mark, any negation word). `exemplar` is the best exemplar (a cue it contains is not
  evidence, as in the rules).
- `StanceModel.predict(rows)` is a multinomial logistic model over standardised rows.
  `SHIPPED_STANCE` (all `STANCE_FEATURES`) serves narratives that HAVE counter-exemplars;
  `SHIPPED_STANCE_NO_COUNTER` (``features`` = `NO_COUNTER_FEATURES`: the same model without the
  three counter-exemplar columns) serves narratives without any, so a new catalog's stance is
  learned too instead of falling back to the rules of `models.matching.stance.classify_stance`
  (the rules remain where no model fits). Both are fit on the election tuning set by
  `models.evaluation.stance_train` (``--no-counter`` for the second; figures in their ``meta``).
  `classify` takes the full `stance_features` row and reads the model's own columns.
- With `embedding_dims` > 0 the row also carries the post's embedding (`stance_row`), so the
  model can learn how refutations, reported speech and insinuation read, which cue words and
  cosines alone miss (leave-one-batch-out accuracy in `models/README.md`). Such a model only
  fits the embedding model it was trained with (``meta["model_id"]``):
  `StanceModel.fits(model_id, dims)`; the matcher falls back to the rules otherwise.
- With `ngrams` (`models.matching.ngrams`) the row also carries the post's weighted word n-gram
  TF-IDF (after the embedding; not standardised: `mean` and `scale` cover the features and the
  embedding), so the words that carry a stance in any voice ("debunked", "wake up", "no
  evidence", "they want you to") count directly; `classify` reads them from the post's text.
- The cue and cosine features are catalog-independent and the embedding weights read the post
  alone, so one model serves every English catalog with counter-exemplars; it was fit on one
  catalog's tuning posts, so treat it as a reviewer hint, like the rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.files import write_json
from models.matching.ngrams import NgramVectorizer
from models.matching.stance import StanceResult, cue_evidence
from models.records import Stance

Floats = npt.NDArray[np.float64]
STANCES: tuple[Stance, ...] = ("promotes", "debunks", "discusses")
STANCE_FEATURES: tuple[str, ...] = (
    "exemplar", "counter", "counter_minus_exemplar", "top2_counter_minus_exemplar",
    "debunk_cue", "negated_claim", "discuss_cue", "question", "negation",
)  # fmt: skip
COUNTER_FEATURES: tuple[str, ...] = ("counter", "counter_minus_exemplar",
                                     "top2_counter_minus_exemplar")  # fmt: skip
NO_COUNTER_FEATURES: tuple[str, ...] = tuple(
    f for f in STANCE_FEATURES if f not in COUNTER_FEATURES
)
SHIPPED_STANCE = Path(__file__).parents[1] / "stance" / "stance-en.json"
SHIPPED_STANCE_NO_COUNTER = Path(__file__).parents[1] / "stance" / "stance-en-nocounter.json"
_NEGATION = re.compile(r"\b(?:not|no|never|nothing|zero|none|\w+n['\u2019]t)\b", re.IGNORECASE)


def _top2_mean(scores: Floats) -> float:
    return float(np.sort(scores)[-2:].mean())


def stance_features(
    post: str, exemplar: str, exemplar_scores: Floats, counter_scores: Floats | None
) -> Floats:
    """One row of `STANCE_FEATURES` (see module docstring); `exemplar_scores` non-empty,
    `counter_scores` non-empty or None (no counter-exemplars: the counter columns are 0, and only
    a `NO_COUNTER_FEATURES` model may read such a row)."""
    ex = np.asarray(exemplar_scores)
    cues = cue_evidence(post, exemplar)
    if counter_scores is None:
        counter = (0.0, 0.0, 0.0)
    else:
        co = np.asarray(counter_scores)
        counter = (co.max(), co.max() - ex.max(), _top2_mean(co) - _top2_mean(ex))
    return np.asarray([
        ex.max(), *counter,
        float(bool(cues.debunk)), float(cues.negated_claim is not None),
        float(bool(cues.discuss)), float("?" in post), float(bool(_NEGATION.search(post))),
    ], dtype=np.float64)  # fmt: skip


def stance_row(
    post: str, exemplar: str, exemplar_scores: Floats, counter_scores: Floats | None,
    vector: Floats | None = None,
) -> Floats:  # fmt: skip
    """`stance_features`, followed by the post's embedding `vector` when one is given."""
    row = stance_features(post, exemplar, exemplar_scores, counter_scores)
    if vector is None:
        return row
    return np.concatenate([row, np.asarray(vector, dtype=np.float64)])


@dataclass(frozen=True)
class StanceModel:
    """Multinomial logistic stance model: `coef` one row per class of `classes`; rows are the
    model's `features` (`STANCE_FEATURES` or `NO_COUNTER_FEATURES`), then `embedding_dims`
    embedding values."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]
    classes: tuple[Stance, ...] = STANCES
    features: tuple[str, ...] = STANCE_FEATURES
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    embedding_dims: int = 0
    ngrams: NgramVectorizer | None = None
    _coef: Floats = field(init=False, repr=False, compare=False)
    _columns: npt.NDArray[np.intp] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.features not in (STANCE_FEATURES, NO_COUNTER_FEATURES):
            raise ValueError(f"stance features {self.features} are neither {STANCE_FEATURES} "
                             f"nor {NO_COUNTER_FEATURES}")  # fmt: skip
        if self.embedding_dims < 0:
            raise ValueError("stance embedding_dims must be >= 0")
        n = len(self.features) + self.embedding_dims
        width = n + (self.ngrams.size if self.ngrams else 0)
        if len(self.mean) != n or len(self.scale) != n or any(len(c) != width for c in self.coef):
            raise ValueError("stance weights must have one entry per feature")
        if len(self.coef) != len(self.classes) != len(self.intercept):
            raise ValueError("stance weights must have one row per class")
        if not set(self.classes) <= set(STANCES):
            raise ValueError(f"stance classes must be among {STANCES}")
        object.__setattr__(self, "_coef", np.asarray(self.coef, dtype=np.float64))
        columns = [STANCE_FEATURES.index(f) for f in self.features]
        object.__setattr__(self, "_columns", np.asarray(columns, dtype=np.intp))

    @property
    def uses_counter(self) -> bool:
        """Whether the model reads counter-exemplar cosines (then it needs counter-exemplars)."""
        return self.features == STANCE_FEATURES

    def probabilities(self, rows: Floats, texts: Sequence[str] | None = None) -> Floats:
        """Softmax probability per row (columns in `classes` order); `texts`: the posts'
        cleaned texts, one per row, required when the model has `ngrams`."""
        z = (np.atleast_2d(rows) - np.asarray(self.mean)) / np.asarray(self.scale)
        width = z.shape[1]
        logits = z @ self._coef[:, :width].T + np.asarray(self.intercept)
        if self.ngrams is not None:
            if texts is None or len(texts) != len(z):
                raise ValueError("this stance model reads n-grams: give one text per row")
            logits = logits + self.ngrams.project(texts, self._coef[:, width:])
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)

    def fits(self, model_id: str, dims: int) -> bool:
        """Whether this model can read posts embedded by `model_id` (`dims` values): always
        without embedding weights, else only the model and size it was fit with."""
        if not self.embedding_dims:
            return True
        return self.embedding_dims == dims and self.meta.get("model_id") == model_id

    def classify(
        self, post: str, exemplar: str, exemplar_scores: Floats,
        counter_scores: Floats | None, vector: Floats | None = None,
    ) -> StanceResult:  # fmt: skip
        """The stance of `post` with the probabilities and the cues as evidence; `vector` (the
        post's embedding) is required when the model has `embedding_dims`, `counter_scores`
        when it `uses_counter`."""
        if self.embedding_dims and (vector is None or len(vector) != self.embedding_dims):
            raise ValueError(f"stance model needs the post's {self.embedding_dims}-d embedding")
        if self.uses_counter and counter_scores is None:
            raise ValueError("this stance model reads counter-exemplar cosines: give them")
        full = stance_features(post, exemplar, exemplar_scores, counter_scores)
        row = full[self._columns]
        if self.embedding_dims:
            row = np.concatenate([row, np.asarray(vector, dtype=np.float64)])
        probs = self.probabilities(row, [post])[0]
        best = int(np.argmax(probs))
        cues = cue_evidence(post, exemplar).describe()
        shown = ", ".join(f"{c} {p:.2f}" for c, p in zip(self.classes, probs, strict=True))
        cosines = (
            f"counter-exemplar cosine {full[1]:.2f} vs exemplar {full[0]:.2f}"
            if self.uses_counter
            else f"exemplar cosine {full[0]:.2f}, no counter-exemplars"
        )
        return StanceResult(
            self.classes[best],
            f"stance model: {shown}; {cosines}" + (f"; {cues}" if cues else ""),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features), "classes": list(self.classes),
            "mean": list(self.mean), "scale": list(self.scale),
            "coef": [list(c) for c in self.coef], "intercept": list(self.intercept),
            "embedding_dims": self.embedding_dims, "meta": self.meta,
            **({"ngrams": self.ngrams.to_json()} if self.ngrams else {}),
        }  # fmt: skip

    def save(self, path: Path) -> None:
        write_json(Path(path), self.to_json())

    @classmethod
    def load(cls, path: Path) -> StanceModel:
        """Raises ValueError for a file that does not fit `STANCE_FEATURES` or lacks a field."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        try:
            return cls(
                mean=tuple(float(x) for x in data["mean"]),
                scale=tuple(float(x) for x in data["scale"]),
                coef=tuple(tuple(float(x) for x in row) for row in data["coef"]),
                intercept=tuple(float(x) for x in data["intercept"]),
                classes=tuple(data["classes"]),
                features=tuple(data["features"]),
                meta=dict(data.get("meta", {})),
                embedding_dims=int(data.get("embedding_dims", 0)),
                ngrams=NgramVectorizer.from_json(data["ngrams"]) if "ngrams" in data else None,
            )
        except KeyError as exc:
            raise ValueError(f"{path}: stance model lacks field {exc}") from exc
