"""Which narrative, if any, a post reads like: a multinomial logistic model over the post's
embedding, for the calibrator (`models.matching.calibration`). Pure numpy at run time.

Why: the calibrator's other features are scores against the catalog's sentences (best cosine,
BM25, margins). On their own they cannot tell a claim posted in slang or sarcasm, which sits far
from every exemplar, from chatter about the same people and events, which sits close to them.
A classifier fit on labelled posts in many voices (tuning batches by different writers) plus the
catalog's own sentences reads the whole post; its two numbers per candidate join the
calibrator's rows (leave-one-batch-out figures in `models/README.md`).

Contracts:
- `PostClassifier.classes[0]` is `NONE` (no narrative); the others are narrative ids.
  `probabilities(vectors)` is a softmax over ``vectors @ coef.T + intercept``, one row per post.
- `PostClassifier.column_of(ids)`: each narrative's class column, -1 for a narrative the
  classifier never saw (added to the catalog after the fit).
- `class_features(probs, columns)`: per candidate, the log-odds that the post is that narrative
  (for an unseen narrative: that it is ANY narrative, ``1 - p(none)``, so a new narrative is
  judged by the rest of the row rather than ruled out), and the log-odds of `NONE`.
- A classifier only reads embeddings of the model it was fit with (`model_id`); the matcher
  refuses one fit for another model.
- With `ngrams` (`models.matching.ngrams`), a post's row is its embedding followed by its
  weighted word n-gram TF-IDF row, so the classifier also reads the words that name a narrative
  in any voice; `probabilities` then needs the posts' (cleaned) texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from models.matching.ngrams import NgramVectorizer

Floats = npt.NDArray[np.float64]
NONE = ""
CLASS_FEATURES: tuple[str, ...] = ("class_logit", "none_logit")
_EPS = 1e-4


def _logit(p: Floats) -> Floats:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


def class_features(probs: Floats, columns: npt.NDArray[np.int64]) -> Floats:
    """Rows of `CLASS_FEATURES` for candidates whose narratives sit in `columns` of one post's
    class probabilities `probs` (see module docstring)."""
    cols = np.asarray(columns, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    some = 1.0 - p[0]
    own = np.where(cols >= 0, p[np.maximum(cols, 0)], some)
    out = np.empty((len(cols), len(CLASS_FEATURES)))
    out[:, 0] = _logit(own)
    out[:, 1] = _logit(np.full(len(cols), p[0]))
    return out


@dataclass(frozen=True)
class PostClassifier:
    """A fitted post classifier (see module docstring); `coef` has one row per class."""

    classes: tuple[str, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]
    model_id: str
    ngrams: NgramVectorizer | None = None
    _coef: Floats = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.classes) < 2 or self.classes[0] != NONE:
            raise ValueError("post classifier classes must start with the no-narrative class")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("post classifier classes must be unique")
        widths = {len(row) for row in self.coef}
        if len(self.coef) != len(self.classes) or len(self.intercept) != len(self.classes):
            raise ValueError("post classifier needs one coef row and intercept per class")
        if len(widths) != 1 or 0 in widths:
            raise ValueError("post classifier coef rows must share one non-zero width")
        if self.ngrams is not None and widths.pop() <= self.ngrams.size:
            raise ValueError("post classifier coef rows must cover the embedding and n-grams")
        object.__setattr__(self, "_coef", np.asarray(self.coef, dtype=np.float64))

    def probabilities(self, vectors: Floats, texts: Sequence[str] | None = None) -> Floats:
        """Class probabilities, one row per post (columns in `classes` order); `texts`: the
        posts' cleaned texts, one per vector, required with `ngrams`."""
        x = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
        if self.ngrams is None:
            logits = x @ self._coef.T
        else:
            if texts is None or len(texts) != len(x):
                raise ValueError("this post classifier reads n-grams: give one text per vector")
            dims = self._coef.shape[1] - self.ngrams.size
            logits = x @ self._coef[:, :dims].T + self.ngrams.project(texts, self._coef[:, dims:])
        logits = logits + np.asarray(self.intercept)
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)

    def column_of(self, narrative_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        index = {c: i for i, c in enumerate(self.classes) if c != NONE}
        return np.asarray([index.get(n, -1) for n in narrative_ids], dtype=np.int64)

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes), "coef": [list(r) for r in self.coef],
            "intercept": list(self.intercept), "model_id": self.model_id,
            **({"ngrams": self.ngrams.to_json()} if self.ngrams else {}),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PostClassifier:
        """Raises ValueError for a missing field or inconsistent weights."""
        try:
            return cls(
                classes=tuple(str(c) for c in data["classes"]),
                coef=tuple(tuple(float(x) for x in row) for row in data["coef"]),
                intercept=tuple(float(x) for x in data["intercept"]),
                model_id=str(data["model_id"]),
                ngrams=NgramVectorizer.from_json(data["ngrams"]) if "ngrams" in data else None,
            )
        except KeyError as exc:
            raise ValueError(f"post classifier lacks field {exc}") from exc
