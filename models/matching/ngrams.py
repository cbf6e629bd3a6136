"""Word n-gram features of a post: TF-IDF over a fixed vocabulary, for the post classifier and the
stance model. Pure Python and numpy at run time; the vocabulary and IDF are fit offline
(`models.evaluation.ngrams_fit`, scikit-learn's ``TfidfVectorizer``).

Why: a sentence embedding averages a post into one point, so the words that carry a stance or a
narrative's own vocabulary ("debunked", "mules", "wake up", "no evidence") weigh little next to
the topic. A bag of word n-grams keeps them. Leave-one-batch-out figures in `models/README.md`.

Contracts:
- `tokens(text)`: lower-cased runs of two or more word characters (scikit-learn's default
  ``token_pattern`` ``(?u)\\b\\w\\w+\\b`` and ``lowercase``).
- `NgramVectorizer.transform(texts)` is one dense row per text (`project` multiplies the same
  rows by a weight matrix without building them), one column per `vocabulary` term:
  ``(1 + ln count) * idf`` for each unigram to `ngram_max`-gram of `tokens(text)` (n-grams are
  the tokens joined by one space), the row L2-normalised, then multiplied by `weight`. The
  unweighted row equals ``TfidfVectorizer(ngram_range=(1, ngram_max), sublinear_tf=True)``'s
  for the same vocabulary and IDF (asserted in the unit tests). A text with no vocabulary term
  gives a zero row.
- `to_json` / `from_json` round-trip; `from_json` raises ValueError naming a missing or
  inconsistent field.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def tokens(text: str) -> list[str]:
    """The text's tokens (see module docstring)."""
    return _TOKEN.findall(text.lower())


def ngrams(words: Sequence[str], ngram_max: int) -> list[str]:
    """Every 1- to `ngram_max`-gram of `words`, in scikit-learn's order (all unigrams, then all
    bigrams, ...)."""
    out = list(words)
    for n in range(2, ngram_max + 1):
        out.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return out


@dataclass(frozen=True)
class NgramVectorizer:
    """A fitted TF-IDF vocabulary (see module docstring)."""

    vocabulary: tuple[str, ...]
    idf: tuple[float, ...]
    ngram_max: int = 2
    weight: float = 1.0
    _index: dict[str, int] = field(init=False, repr=False, compare=False)
    _idf: Floats = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.vocabulary) != len(self.idf) or not self.vocabulary:
            raise ValueError("n-gram vocabulary and idf must be non-empty and of one length")
        if len(set(self.vocabulary)) != len(self.vocabulary):
            raise ValueError("n-gram vocabulary terms must be unique")
        if self.ngram_max < 1 or not self.weight > 0 or min(self.idf) <= 0:
            raise ValueError("n-gram ngram_max must be >= 1, weight and idf > 0")
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.vocabulary)})
        object.__setattr__(self, "_idf", np.asarray(self.idf, dtype=np.float64))

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def row(self, text: str) -> tuple[npt.NDArray[np.int64], Floats]:
        """The non-zero columns of `text`'s weighted row and their values."""
        counts = Counter(
            self._index[g] for g in ngrams(tokens(text), self.ngram_max) if g in self._index
        )
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        if not counts:
            return cols, np.zeros(0)
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), np.float64, len(counts))
        values = tf * self._idf[cols]
        return cols, values * (self.weight / float(np.sqrt(values @ values)))

    def transform(self, texts: Sequence[str]) -> Floats:
        """One weighted, L2-normalised TF-IDF row per text (dense; for fitting)."""
        out = np.zeros((len(texts), self.size), dtype=np.float64)
        for i, text in enumerate(texts):
            cols, values = self.row(text)
            out[i, cols] = values
        return out

    def project(self, texts: Sequence[str], weights: Floats) -> Floats:
        """``transform(texts) @ weights.T`` for `weights` of shape (k, `size`), without building
        the dense rows (the live path: a post has a few dozen terms out of thousands)."""
        w = np.asarray(weights, dtype=np.float64)
        out = np.zeros((len(texts), w.shape[0]), dtype=np.float64)
        for i, text in enumerate(texts):
            cols, values = self.row(text)
            if len(cols):
                out[i] = w[:, cols] @ values
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "ngram_max": self.ngram_max, "weight": self.weight,
            "vocabulary": list(self.vocabulary), "idf": list(self.idf),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NgramVectorizer:
        """Raises ValueError for a missing field or inconsistent values."""
        try:
            return cls(
                vocabulary=tuple(str(t) for t in data["vocabulary"]),
                idf=tuple(float(x) for x in data["idf"]),
                ngram_max=int(data["ngram_max"]),
                weight=float(data["weight"]),
            )
        except KeyError as exc:
            raise ValueError(f"n-gram features lack field {exc}") from exc
