"""Top terms of clusters of posts (`models.signals.emerging`): class-based TF-IDF."""

from __future__ import annotations

import numpy as np


def top_terms(clusters: list[list[str]], k: int) -> list[tuple[str, ...]]:
    """Per cluster, the `k` terms (uni- and bigrams, English stop words removed) with the highest
    class-based TF-IDF: frequent in the cluster, rare in the other clusters."""
    if not clusters:
        return []
    from sklearn.feature_extraction.text import CountVectorizer  # type: ignore[import-untyped]

    documents = [" ".join(texts) for texts in clusters]
    vectorizer = CountVectorizer(
        stop_words="english", ngram_range=(1, 2), token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z'-]+\b"
    )
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # every word a stop word
        return [() for _ in clusters]
    vocabulary = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    idf = np.log(1.0 + counts.sum() / np.maximum(counts.sum(axis=0), 1.0))
    scores = tf * idf
    return [tuple(str(vocabulary[j]) for j in np.argsort(-row)[:k] if row[j] > 0) for row in scores]
