"""The learned stance model: features, probabilities, the JSON file and the shipped weights."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from models.matching.ngrams import NgramVectorizer
from models.matching.stance_model import (
    NO_COUNTER_FEATURES,
    SHIPPED_STANCE,
    SHIPPED_STANCE_NO_COUNTER,
    STANCE_FEATURES,
    STANCES,
    StanceModel,
    stance_features,
    stance_row,
)  # fmt: skip

EXEMPLAR = "Ballot mules stuffed the drop boxes, this is how they steal it"


def _model(**kw: object) -> StanceModel:
    n = len(STANCE_FEATURES)
    debunk = [0.0] * n
    debunk[STANCE_FEATURES.index("counter_minus_exemplar")] = 10.0
    discuss = [0.0] * n
    discuss[STANCE_FEATURES.index("question")] = 10.0
    base = StanceModel(mean=(0.0,) * n, scale=(1.0,) * n,
                       coef=((0.0,) * n, tuple(debunk), tuple(discuss)),
                       intercept=(0.0, 0.0, -5.0))  # fmt: skip
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_features_read_cues_and_the_counter_margin() -> None:
    row = stance_features("That is not fraud, it was never proven?", EXEMPLAR,
                          np.asarray([0.5, 0.3]), np.asarray([0.7, 0.6, 0.1]))  # fmt: skip
    col = dict(zip(STANCE_FEATURES, row, strict=True))
    assert col["counter_minus_exemplar"] == pytest.approx(0.2)
    assert col["top2_counter_minus_exemplar"] == pytest.approx(0.65 - 0.4)
    assert col["negated_claim"] == col["question"] == col["negation"] == 1.0
    plain = stance_features("They are stealing it", EXEMPLAR, np.asarray([0.8]), np.asarray([0.2]))
    assert dict(zip(STANCE_FEATURES, plain, strict=True))["negation"] == 0.0


def test_classify_follows_the_probabilities() -> None:
    model = _model()
    near_counter = model.classify("Mules? It was debunked", EXEMPLAR, np.asarray([0.4]),
                                  np.asarray([0.9]))  # fmt: skip
    assert near_counter.stance == "debunks"
    assert "stance model" in near_counter.evidence and "debunk cue" in near_counter.evidence
    near_claim = model.classify("They steal it", EXEMPLAR, np.asarray([0.9]), np.asarray([0.2]))
    assert near_claim.stance == "promotes"
    assert model.probabilities(np.zeros((2, len(STANCE_FEATURES)))).sum(axis=1) == pytest.approx(
        [1.0, 1.0])  # fmt: skip


def test_json_round_trip_validation_and_shipped_file(tmp_path: Path) -> None:
    model = _model(meta={"trained_on": "x"})
    model.save(tmp_path / "s.json")
    assert StanceModel.load(tmp_path / "s.json") == model
    with pytest.raises(ValueError):
        _model(coef=((1.0,),) * 3)
    with pytest.raises(ValueError):
        _model(classes=("promotes", "debunks", "sarcasm"))
    (tmp_path / "bad.json").write_text('{"features": []}')
    with pytest.raises(ValueError):
        StanceModel.load(tmp_path / "bad.json")
    shipped = StanceModel.load(SHIPPED_STANCE)
    assert set(shipped.classes) == set(STANCES)
    # fit on tuning batches only, never on a reporting set; reads the packaged model's vectors
    assert all(name.startswith("election-2024-tuning") for name in shipped.meta["trained_on"])
    assert shipped.embedding_dims == 384
    assert shipped.fits("sentence-transformers/all-MiniLM-L6-v2", 384)


def test_embedding_weights_read_the_post_vector_and_only_fit_their_model() -> None:
    n = len(STANCE_FEATURES)
    # one embedding dimension carries "debunks"; the features carry nothing
    debunk = (0.0,) * n + (0.0, 10.0)
    model = StanceModel(mean=(0.0,) * (n + 2), scale=(1.0,) * (n + 2),
                        coef=((0.0,) * (n + 2), debunk, (0.0,) * (n + 2)),
                        intercept=(0.0, 0.0, -5.0), embedding_dims=2,
                        meta={"model_id": "m"})  # fmt: skip
    scores = (np.asarray([0.8]), np.asarray([0.2]))
    assert model.classify("They steal it", EXEMPLAR, *scores, np.asarray([0.0, 1.0])).stance == (
        "debunks")  # fmt: skip
    assert model.classify("They steal it", EXEMPLAR, *scores, np.asarray([0.0, -1.0])).stance == (
        "promotes")  # fmt: skip
    with pytest.raises(ValueError, match="embedding"):
        model.classify("They steal it", EXEMPLAR, *scores)
    assert model.fits("m", 2) and not model.fits("other", 2) and not model.fits("m", 3)
    assert _model().fits("any", 384)  # no embedding weights: any model
    row = stance_row("x", EXEMPLAR, *scores, np.asarray([0.5, 0.5]))
    assert len(row) == n + 2 and row[-1] == 0.5


def test_embedding_model_round_trips_and_checks_its_width(tmp_path: Path) -> None:
    n = len(STANCE_FEATURES) + 3
    model = StanceModel(mean=(0.0,) * n, scale=(1.0,) * n, coef=((0.1,) * n,) * 3,
                        intercept=(0.0,) * 3, embedding_dims=3)  # fmt: skip
    model.save(tmp_path / "e.json")
    assert StanceModel.load(tmp_path / "e.json") == model
    with pytest.raises(ValueError):
        dataclasses.replace(model, embedding_dims=2)


def test_ngram_weights_read_the_posts_words_and_round_trip(tmp_path: Path) -> None:
    n = len(STANCE_FEATURES)
    vec = NgramVectorizer(vocabulary=("debunked", "wake up"), idf=(1.0, 1.0), weight=5.0)
    # the n-gram columns follow the features: "debunked" -> debunks, "wake up" -> promotes
    coef = ((0.0,) * n + (0.0, 2.0), (0.0,) * n + (2.0, 0.0), (0.0,) * (n + 2))
    model = StanceModel(mean=(0.0,) * n, scale=(1.0,) * n, coef=coef, intercept=(0.0, 0.0, 1.0),
                        ngrams=vec)  # fmt: skip
    scores = (np.asarray([0.5]), np.asarray([0.5]))
    assert model.classify("That was debunked long ago", EXEMPLAR, *scores).stance == "debunks"
    assert model.classify("Wake up, they stole it", EXEMPLAR, *scores).stance == "promotes"
    assert model.classify("Officials met today", EXEMPLAR, *scores).stance == "discusses"
    with pytest.raises(ValueError, match="n-grams"):
        model.probabilities(np.zeros((1, n)))
    model.save(tmp_path / "n.json")
    assert StanceModel.load(tmp_path / "n.json") == model
    with pytest.raises(ValueError):
        dataclasses.replace(model, ngrams=None)  # the coef rows are wider than the features


def _no_counter_model() -> StanceModel:
    n = len(NO_COUNTER_FEATURES)
    debunk = [0.0] * n
    debunk[NO_COUNTER_FEATURES.index("debunk_cue")] = 10.0
    discuss = [0.0] * n
    discuss[NO_COUNTER_FEATURES.index("question")] = 10.0
    return StanceModel(mean=(0.0,) * n, scale=(1.0,) * n,
                       coef=((0.0,) * n, tuple(debunk), tuple(discuss)),
                       intercept=(0.0, 0.0, -5.0), features=NO_COUNTER_FEATURES)  # fmt: skip


def test_a_model_without_counter_features_serves_narratives_without_counter_exemplars(
    tmp_path: Path,
) -> None:
    model = _no_counter_model()
    assert not model.uses_counter and _model().uses_counter
    assert "counter" not in " ".join(NO_COUNTER_FEATURES)
    debunk = model.classify("That was debunked", EXEMPLAR, np.asarray([0.6]), None)
    assert debunk.stance == "debunks" and "no counter-exemplars" in debunk.evidence
    assert model.classify("They steal it", EXEMPLAR, np.asarray([0.9]), None).stance == "promotes"
    # counter cosines, when given, are not read by it
    same = model.classify("They steal it", EXEMPLAR, np.asarray([0.9]), np.asarray([0.99]))
    assert same.stance == "promotes"
    with pytest.raises(ValueError, match="counter-exemplar"):
        _model().classify("They steal it", EXEMPLAR, np.asarray([0.9]), None)
    row = stance_features("x", EXEMPLAR, np.asarray([0.7, 0.2]), None)
    assert row[0] == pytest.approx(0.7) and list(row[1:4]) == [0.0, 0.0, 0.0]
    model.save(tmp_path / "nc.json")
    assert StanceModel.load(tmp_path / "nc.json") == model
    with pytest.raises(ValueError):  # weights for nine features under the seven-feature schema
        dataclasses.replace(_model(), features=NO_COUNTER_FEATURES)
    with pytest.raises(ValueError):
        dataclasses.replace(model, features=("exemplar",))
    shipped = StanceModel.load(SHIPPED_STANCE_NO_COUNTER)
    assert shipped.features == NO_COUNTER_FEATURES and not shipped.uses_counter
    assert all(name.startswith("election-2024-tuning") for name in shipped.meta["trained_on"])
    assert shipped.fits("sentence-transformers/all-MiniLM-L6-v2", 384)
    # fit with each narrative left out in turn: what a new catalog's narratives get
    assert len(shipped.meta["leave_one_narrative_out"]) == 10
