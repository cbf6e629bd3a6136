from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.signals.targeting import detect_targeting
from models.signals.targeting_classifier import (
    DEFAULT_CLASSIFIER,
    TargetingClassifier,
    load_classifier,
)


def test_probabilities_are_the_logistic_of_the_dot_product() -> None:
    classifier = TargetingClassifier(coef=(2.0, -1.0), intercept=0.5, threshold=0.5)
    got = classifier.probabilities(np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert got == pytest.approx([1 / (1 + np.exp(-2.5)), 1 / (1 + np.exp(0.5))])
    with pytest.raises(ValueError, match="2 dims"):
        classifier.probabilities(np.zeros((1, 3)))


def test_a_saved_classifier_loads_back(tmp_path: Path) -> None:
    classifier = TargetingClassifier(coef=(0.25, 0.5), intercept=-1.0, threshold=0.55,
                                     meta={"fit_on": "x"})  # fmt: skip
    classifier.save(tmp_path / "c.json")
    assert load_classifier(tmp_path / "c.json") == classifier


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"intercept": 0.0, "threshold": 0.5}, "lacks field 'coef'"),
        ({"coef": [1.0], "intercept": 0.0, "threshold": 1.5}, "threshold"),
        ({"coef": ["a"], "intercept": 0.0, "threshold": 0.5}, "malformed"),
    ],
)
def test_a_bad_classifier_file_names_the_file_and_field(
    tmp_path: Path, data: dict[str, object], message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        load_classifier(path)
    assert str(path) in str(info.value)


def test_the_shipped_classifier_was_fit_on_the_tuning_split_for_the_packaged_model() -> None:
    classifier = load_classifier(DEFAULT_CLASSIFIER)
    assert classifier.dims == 384
    assert classifier.meta["fit_on"] == "targeting-tuning.jsonl"
    assert classifier.meta["cv_precision"] >= classifier.meta["target_precision"]


def test_with_a_probability_the_flag_needs_the_threshold_and_a_role() -> None:
    text = "The poll worker lives on Elm Street."
    assert detect_targeting(text, probability=0.7, threshold=0.6).targeting
    assert not detect_targeting(text, probability=0.5, threshold=0.6).targeting
    assert not detect_targeting("Senator Smith lives on Elm Street.", probability=0.99).targeting
    assert detect_targeting(text, probability=0.7).score == 0.7
