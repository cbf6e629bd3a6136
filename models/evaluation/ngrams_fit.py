"""Fit an `NgramVectorizer` (`models.matching.ngrams`) on training texts. Offline (scikit-learn).

`fit_ngrams(texts, weight=...)` keeps every 1- to `ngram_max`-gram found in at least `min_df`
texts, with scikit-learn's smoothed IDF; the terms are in scikit-learn's column order (sorted), so
a fit on the same texts is the same vectorizer byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.matching.ngrams import NgramVectorizer


def fit_ngrams(
    texts: Sequence[str], *, weight: float, ngram_max: int = 2, min_df: int = 2
) -> NgramVectorizer:
    """The vocabulary and IDF of `texts` (see module docstring). Raises ValueError when no term
    is frequent enough."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

    fitted = TfidfVectorizer(ngram_range=(1, ngram_max), sublinear_tf=True, min_df=min_df).fit(
        list(texts)
    )
    return NgramVectorizer(
        vocabulary=tuple(str(t) for t in fitted.get_feature_names_out()),
        idf=tuple(float(x) for x in fitted.idf_),
        ngram_max=ngram_max,
        weight=weight,
    )
