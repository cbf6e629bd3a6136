"""The post classifier: its features, its file, its fit and the matcher using it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from models.catalog.loading import load_catalog
from models.evaluation.post_classes_train import fit_classifier
from models.matching.calibration import FEATURES, Calibrator
from models.matching.matcher import MatcherConfig, NarrativeMatcher
from models.matching.post_classes import CLASS_FEATURES, NONE, PostClassifier, class_features

from ..conftest import BagOfWordsEmbedder

CLAIM = "Dead people voted and rigged the election"


def test_class_features_read_the_candidate_class_and_fall_back_to_any_narrative() -> None:
    probs = np.asarray([0.2, 0.7, 0.1])  # none, a, b
    rows = class_features(probs, np.asarray([1, 2, -1]))
    logit = np.log(np.asarray([0.7, 0.1, 0.8]) / (1 - np.asarray([0.7, 0.1, 0.8])))
    assert rows[:, 0] == pytest.approx(logit)  # -1: a narrative the classifier never saw
    assert rows[:, 1] == pytest.approx(np.full(3, np.log(0.2 / 0.8)))


def _classifier(embedder: BagOfWordsEmbedder, none_words: str, **kw: object) -> PostClassifier:
    """A classifier whose no-narrative class fires on `none_words`."""
    none_row = [float(v) for v in 40.0 * embedder.encode([none_words])[0]]
    zero = [0.0] * len(none_row)
    base = PostClassifier(
        classes=(NONE, "stolen-election"), coef=(tuple(none_row), tuple(zero)),
        intercept=(0.0, 0.0), model_id=embedder.model_id,
    )  # fmt: skip
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def _calibrator(classifier: PostClassifier | None) -> Calibrator:
    names = FEATURES + (CLASS_FEATURES if classifier else ())
    coef = [0.0] * len(names)
    coef[names.index("score_logit")] = 20.0  # fused 0.4 -> p 0.5
    if classifier:
        coef[names.index("none_logit")] = -5.0
    return Calibrator(mean=(0.4,) + (0.0,) * (len(names) - 1), scale=(1.0,) * len(names),
                      coef=tuple(coef), intercept=0.0, threshold=0.5, margin=0.2,
                      score="fused", features=names, classifier=classifier)  # fmt: skip


def test_the_class_features_can_overrule_the_scores(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    catalog = load_catalog(catalog_path)

    def hits(calibrator: Calibrator) -> list[str]:
        config = MatcherConfig(decision="calibrated", calibrator=calibrator,
                               severity_threshold_offsets={})  # fmt: skip
        (result,) = NarrativeMatcher(catalog, bow_embedder, config).match([CLAIM])
        return [m.narrative.id for m in result.matches]

    assert hits(_calibrator(None)) == ["stolen-election"]
    # the same scores, but the classifier reads the post as no narrative
    assert hits(_calibrator(_classifier(bow_embedder, "dead people voted rigged"))) == []
    # ... and as a narrative when its no-narrative words are absent
    assert hits(_calibrator(_classifier(bow_embedder, "pancakes syrup"))) == ["stolen-election"]


def test_a_classifier_for_another_embedding_model_is_refused(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    other = _classifier(bow_embedder, "x", model_id="another/model")
    config = MatcherConfig(decision="calibrated", calibrator=_calibrator(other))
    with pytest.raises(ValueError, match="another/model"):
        NarrativeMatcher(load_catalog(catalog_path), bow_embedder, config)


def test_calibrator_file_carries_the_classifier(
    tmp_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    cal = _calibrator(_classifier(bow_embedder, "rigged"))
    cal.save(tmp_path / "c.json")
    assert Calibrator.load(tmp_path / "c.json") == cal
    with pytest.raises(ValueError, match="features"):
        dataclasses.replace(cal, classifier=None)  # rows would lack the class features
    with pytest.raises(ValueError):
        _classifier(bow_embedder, "x", classes=("stolen-election", NONE))
    with pytest.raises(ValueError):
        _classifier(bow_embedder, "x", intercept=(0.0,))


@pytest.mark.parametrize("n_classes", [2, 4])
def test_fit_matches_scikit_learn_probabilities(n_classes: int) -> None:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    y = np.arange(60) % n_classes
    x[:, 0] += y  # learnable
    classes = (NONE, *(f"n{i}" for i in range(1, n_classes)))
    labels = [classes[k] for k in y]
    ours = fit_classifier(x, labels, classes, 1.0, "m")
    theirs = LogisticRegression(C=1.0, max_iter=5000).fit(x, y).predict_proba(x)
    assert ours.probabilities(x) == pytest.approx(theirs, abs=1e-9)
    assert ours.column_of(["n1", "missing"]).tolist() == [1, -1]
    # a class with no training rows is never predicted
    absent = fit_classifier(x, labels, (*classes, "never"), 1.0, "m")
    assert absent.probabilities(x)[:, -1].max() < 1e-9


def test_ngram_classifier_reads_the_words_and_its_file_carries_them(tmp_path: Path) -> None:
    # the embeddings carry nothing; the narrative's own word does
    x = np.zeros((40, 3))
    labels = [NONE, "mules"] * 20
    texts = [("weather today is nice" if lab == NONE else "ballot mules again") for lab in labels]
    classes = (NONE, "mules")
    plain = fit_classifier(x, labels, classes, 1.0, "m")
    ours = fit_classifier(x, labels, classes, 1.0, "m", texts=texts, ngram_weight=5.0)
    assert ours.ngrams is not None and "mules" in ours.ngrams.vocabulary
    probe = np.zeros((2, 3))
    assert plain.probabilities(probe)[:, 1] == pytest.approx([0.5, 0.5])
    got = ours.probabilities(probe, ["the mules are back", "nice weather"])[:, 1]
    assert got[0] > 0.8 and got[1] < 0.2
    with pytest.raises(ValueError, match="n-grams"):
        ours.probabilities(probe)
    assert PostClassifier.from_json(ours.to_json()) == ours
    with pytest.raises(ValueError, match="cover"):
        dataclasses.replace(ours, coef=tuple(r[:2] for r in ours.coef))


def test_background_posts_are_no_narrative_rows_in_every_fit(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    from models.evaluation.post_classes_train import class_data, fit_all
    from models.evaluation.posts_eval import LabelledPost

    matcher = NarrativeMatcher(load_catalog(catalog_path), bow_embedder, MatcherConfig())
    posts = [LabelledPost(CLAIM, "stolen-election", id="p1")]
    background = ["A hawk drops a snake at a barbecue", "Wine contains arsenic"]
    plain = class_data(matcher, posts)
    data = class_data(matcher, posts, background=background)
    assert data.catalog_labels == (*plain.catalog_labels, NONE, NONE)
    assert data.catalog_texts[-2:] == tuple(background)
    assert len(data.catalog_vectors) == len(plain.catalog_vectors) + 2
    assert fit_all(data, 1.0).classes == plain.classes
