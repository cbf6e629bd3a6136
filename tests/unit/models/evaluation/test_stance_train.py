"""The stance model's training helpers (no embedding model)."""

from __future__ import annotations

import numpy as np

from models.evaluation.stance_train import batch_accuracy, cv_accuracy
from models.matching.stance_model import STANCE_FEATURES


def _rows(n: int, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    labels = np.asarray(["promotes", "debunks", "discusses"] * (n // 3))
    rows = rng.normal(scale=0.1, size=(len(labels), len(STANCE_FEATURES) + 2))
    # two embedding values carry the stance (swapped in a batch written differently)
    debunk, discuss = (-1, -2) if not flip else (-2, -1)
    rows[labels == "debunks", debunk] += 1.0
    rows[labels == "discusses", discuss] += 1.0
    return rows, labels


def test_leave_one_batch_out_scores_each_batch_by_a_model_that_never_saw_it() -> None:
    a, b, c = _rows(30), _rows(33), _rows(36, flip=True)
    rows = np.vstack([a[0], b[0], c[0]])
    labels = np.concatenate([a[1], b[1], c[1]])
    batches = ["a"] * 30 + ["b"] * 33 + ["c"] * 36
    same = batch_accuracy(rows[:63], labels[:63], batches[:63], c=1.0, embedding_dims=2)
    assert same == {"a": 1.0, "b": 1.0}
    # "c" is written unlike the others: a model fit on them reads it wrong
    assert batch_accuracy(rows, labels, batches, c=1.0, embedding_dims=2)["c"] < 0.5
    assert batch_accuracy(rows[:30], labels[:30], ["a"] * 30, c=1.0) == {}
    assert cv_accuracy(rows[:63], labels[:63], 1.0, 3, seed=0, embedding_dims=2) == 1.0
