from __future__ import annotations

import numpy as np
import pytest

from models.evaluation.targeting_train import choose


def test_choose_finds_the_best_recall_at_the_target_precision_with_the_role_rule() -> None:
    rng = np.random.default_rng(0)
    y = np.array([True] * 40 + [False] * 40)
    x = rng.normal(0, 1, (80, 8))
    x[:, 0] += np.where(y, 2.5, -2.5)  # one informative direction
    role = np.ones(80, dtype=bool)
    role[:5] = False  # five positives name no role: never flagged, so recall <= 35/40
    choice = choose(x, y, role, target_precision=0.9)
    assert choice.precision >= 0.9
    assert 0.8 <= choice.recall <= 35 / 40


def test_choose_refuses_an_unreachable_precision() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (40, 4))
    y = np.array([True, False] * 20)
    with pytest.raises(ValueError, match="no setting reaches"):
        choose(x, y, np.ones(40, dtype=bool), target_precision=0.99)
