"""Word n-gram TF-IDF rows: the same as scikit-learn's, weighted, and their file form."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from models.evaluation.ngrams_fit import fit_ngrams
from models.matching.ngrams import NgramVectorizer, ngrams, tokens

TRAIN = [
    "They STOLE the election, wake up! They stole it.",
    "No, the election was not stolen: debunked by every audit.",
    "Officials say the audit found no evidence of fraud.",
    "Wake up people, the mules stuffed the drop boxes",
    "Élection volée? Non. Die Wahl wurde nicht gestohlen, nicht",
    "debunked debunked debunked 🔥🔥 no evidence",
]
OTHER = [
    "the audit was DEBUNKED, wake up",
    "",
    "🔥🔥🔥",
    "a b c",  # one-character tokens are not tokens
    "nicht gestohlen, die Wahl; élection volée",
    "stole stole stole the the the election election",
]


def test_rows_equal_scikit_learns_sublinear_tfidf_on_its_vocabulary() -> None:
    ours = fit_ngrams(TRAIN, weight=1.0, min_df=1)
    theirs = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1).fit(TRAIN)
    assert list(ours.vocabulary) == list(theirs.get_feature_names_out())
    for texts in (TRAIN, OTHER):
        assert ours.transform(texts) == pytest.approx(theirs.transform(texts).toarray(), abs=1e-12)


def test_min_df_keeps_frequent_terms_and_the_weight_scales_each_row() -> None:
    vec = fit_ngrams(TRAIN, weight=3.0)
    assert "wake up" in vec.vocabulary and "mules" not in vec.vocabulary
    rows = vec.transform(OTHER)
    norms = np.linalg.norm(rows, axis=1)
    assert norms[0] == pytest.approx(3.0) and norms[1] == 0.0 and norms[2] == 0.0


def test_tokens_and_ngrams_follow_scikit_learn() -> None:
    assert tokens("Wake UP, a 2024 élection!") == ["wake", "up", "2024", "élection"]
    assert ngrams(["a", "b", "c"], 2) == ["a", "b", "c", "a b", "b c"]
    assert ngrams(["a"], 3) == ["a"]


def test_file_form_round_trips_and_rejects_inconsistent_values() -> None:
    vec = fit_ngrams(TRAIN, weight=2.0)
    again = NgramVectorizer.from_json(vec.to_json())
    assert again == vec
    assert again.transform(OTHER) == pytest.approx(vec.transform(OTHER))
    with pytest.raises(ValueError, match="field"):
        NgramVectorizer.from_json({"vocabulary": ["a"], "idf": [1.0]})
    with pytest.raises(ValueError):
        NgramVectorizer(vocabulary=("aa", "aa"), idf=(1.0, 1.0))
    with pytest.raises(ValueError):
        NgramVectorizer(vocabulary=("aa",), idf=(1.0, 2.0))
    with pytest.raises(ValueError):
        NgramVectorizer(vocabulary=("aa",), idf=(1.0,), weight=0.0)


def test_project_equals_the_dense_rows_times_the_weights() -> None:
    vec = fit_ngrams(TRAIN, weight=4.0, min_df=1)
    weights = np.random.default_rng(0).normal(size=(3, vec.size))
    expected = vec.transform(OTHER + TRAIN) @ weights.T
    assert vec.project(OTHER + TRAIN, weights) == pytest.approx(expected, abs=1e-12)
    assert vec.project([], weights).shape == (0, 3)
