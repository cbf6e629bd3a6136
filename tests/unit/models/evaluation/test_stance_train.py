"""The stance model's training helpers (no embedding model)."""

from __future__ import annotations

import dataclasses

import numpy as np

from models.evaluation.stance_train import StanceRows, batch_accuracy, cv_accuracy, fit
from models.matching.stance_model import NO_COUNTER_FEATURES, STANCE_FEATURES

WORDS = {"promotes": "wake up they stole it", "debunks": "debunked no evidence at all",
         "discusses": "reports say officials review"}  # fmt: skip


def _rows(n: int, flip: bool = False) -> StanceRows:
    rng = np.random.default_rng(n)
    labels = np.asarray(["promotes", "debunks", "discusses"] * (n // 3))
    rows = rng.normal(scale=0.1, size=(len(labels), len(STANCE_FEATURES) + 2))
    # two embedding values carry the stance (swapped in a batch written differently)
    debunk, discuss = (-1, -2) if not flip else (-2, -1)
    rows[labels == "debunks", debunk] += 1.0
    rows[labels == "discusses", discuss] += 1.0
    texts = [f"{WORDS[str(label)]} post {i}" for i, label in enumerate(labels)]
    return StanceRows(rows, labels, labels, ["x"] * len(labels), texts)


def _join(parts: list[StanceRows], names: list[str]) -> StanceRows:
    return StanceRows(
        np.vstack([p.rows for p in parts]), np.concatenate([p.labels for p in parts]),
        np.concatenate([p.rules for p in parts]),
        [n for p, n in zip(parts, names, strict=True) for _ in p.texts],
        [t for p in parts for t in p.texts],
    )  # fmt: skip


def test_leave_one_batch_out_scores_each_batch_by_a_model_that_never_saw_it() -> None:
    a, b, c = _rows(30), _rows(33), _rows(36, flip=True)
    same = batch_accuracy(_join([a, b], ["a", "b"]), c=1.0, embedding_dims=2)
    assert same == {"a": 1.0, "b": 1.0}
    # "c" is written unlike the others: a model fit on them reads it wrong
    assert batch_accuracy(_join([a, b, c], ["a", "b", "c"]), c=1.0, embedding_dims=2)["c"] < 0.5
    assert batch_accuracy(_join([a], ["a"]), c=1.0) == {}
    assert cv_accuracy(_join([a, b], ["a", "b"]), 1.0, 3, seed=0, embedding_dims=2) == 1.0


def test_ngrams_read_the_stance_words_a_differently_written_batch_shares() -> None:
    a, b, c = _rows(30), _rows(33), _rows(36, flip=True)
    data = _join([a, b, c], ["a", "b", "c"])
    # the embedding misleads on "c", its words do not: with n-grams "c" is read right
    assert batch_accuracy(data, c=1.0, embedding_dims=2, ngram_weight=30.0)["c"] == 1.0
    assert cv_accuracy(data, 1.0, 3, seed=0, embedding_dims=2, ngram_weight=30.0) == 1.0


def test_without_counter_drops_the_three_counter_columns_and_keeps_the_embedding() -> None:
    data = _rows(30)
    plain = data.without_counter()
    assert plain.features == NO_COUNTER_FEATURES
    assert plain.rows.shape[1] == data.rows.shape[1] - 3
    kept = [STANCE_FEATURES.index(f) for f in NO_COUNTER_FEATURES]
    assert np.array_equal(plain.rows[:, : len(kept)], data.rows[:, kept])
    assert np.array_equal(plain.rows[:, -2:], data.rows[:, -2:])
    # the rules' baseline becomes the rules without counter-exemplars, when collected
    other = np.asarray(["promotes"] * len(data.labels))
    assert np.array_equal(
        dataclasses.replace(data, rules_no_counter=other).without_counter().rules, other
    )
    assert np.array_equal(plain.rules, data.rules)  # none collected: unchanged
    # a model fit on them has the narrower schema and still reads the embedding
    model = fit(plain.rows, plain.labels, 1.0, 2, features=plain.features)
    assert model.features == NO_COUNTER_FEATURES and not model.uses_counter
    assert cv_accuracy(plain, 1.0, 3, seed=0, embedding_dims=2) >= 0.9


def test_leave_one_narrative_out_groups_by_narrative() -> None:
    a, b = _rows(30), _rows(33)
    data = _join([a, b], ["x", "x"])
    data = StanceRows(data.rows, data.labels, data.rules, data.batches, data.texts,
                      ["n1"] * len(a.texts) + ["n2"] * len(b.texts))  # fmt: skip
    assert batch_accuracy(data, c=1.0, embedding_dims=2, by="narrative") == {"n1": 1.0, "n2": 1.0}
    assert batch_accuracy(data, c=1.0, embedding_dims=2) == {}  # one batch: nothing to leave out
