"""Fit the calibrator's post classifier (`models.matching.post_classes`) on TUNING posts, and the
out-of-fold class features the calibrator is trained on. Offline (scikit-learn).

Training rows: the catalog's own sentences (exemplars and counter-exemplars as their narrative,
near-misses as no narrative), so every narrative has a class, any background posts (real posts
about other things, `models.evaluation.background`) as no narrative, plus the labelled posts.
The catalog and background rows are in every fit. The
calibrator must never see class features of a post from a classifier that was fit on that post
(they would be overconfident), so `class_probabilities` gives every training post its
probabilities from a classifier fit without its CV fold (the calibrator's own folds), and every
other post (a left-out batch) from one fit on all training posts.

With an n-gram weight (`ngram_weight` > 0) each classifier also reads the posts' word n-grams
(`models.matching.ngrams`); the vocabulary is fit on that classifier's own training texts (the
catalog's sentences and its training posts), so a left-out post's words never shape it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.evaluation.ngrams_fit import fit_ngrams
from models.evaluation.oof_rerank import query_folds
from models.evaluation.posts_eval import LabelledPost
from models.matching.matcher import NarrativeMatcher
from models.matching.post_classes import NONE, PostClassifier, class_features
from models.matching.query import clean_post_text

Floats = np.ndarray
_ABSENT = -30.0  # intercept of a class with no training row: never predicted


@dataclass(frozen=True)
class ClassData:
    """Embeddings and class labels (`NONE` or a narrative id) of the posts (in post order) and
    of the catalog's sentences; `classes` starts with `NONE`, then the active narratives."""

    vectors: Floats
    labels: tuple[str, ...]
    fold_key: tuple[str, ...]
    catalog_vectors: Floats
    catalog_labels: tuple[str, ...]
    classes: tuple[str, ...]
    model_id: str
    texts: tuple[str, ...] = ()
    catalog_texts: tuple[str, ...] = ()
    ngram_weight: float = 0.0


def class_data(
    matcher: NarrativeMatcher, posts: Sequence[LabelledPost], *, ngram_weight: float = 0.0,
    background: Sequence[str] = (),
) -> ClassData:  # fmt: skip
    """The posts' and the catalog's embeddings, cleaned texts and labels (the `background` texts
    join the catalog's rows as no narrative); `ngram_weight` > 0: classifiers fit on them also
    read word n-grams with this weight."""
    texts, labels = [], []
    for n in matcher.catalog.active:
        for sentence in (*n.exemplars, *n.counter_exemplars):
            texts.append(sentence)
            labels.append(n.id)
        for sentence in n.near_misses:
            texts.append(sentence)
            labels.append(NONE)
    texts += background
    labels += [NONE] * len(background)
    encode = matcher.embedder.encode_cached
    post_texts = [clean_post_text(p.text) for p in posts]
    catalog_texts = [clean_post_text(t) for t in texts]
    return ClassData(
        vectors=np.asarray(encode(post_texts), dtype=np.float64),
        labels=tuple(p.narrative or NONE for p in posts),
        fold_key=tuple(p.id for p in posts),
        catalog_vectors=np.asarray(encode(catalog_texts), dtype=np.float64),
        catalog_labels=tuple(labels),
        classes=(NONE, *(n.id for n in matcher.catalog.active)),
        model_id=matcher.model_id,
        texts=tuple(post_texts), catalog_texts=tuple(catalog_texts), ngram_weight=ngram_weight,
    )  # fmt: skip


def fit_classifier(
    vectors: Floats, labels: Sequence[str], classes: Sequence[str], c: float, model_id: str,
    *, texts: Sequence[str] = (), ngram_weight: float = 0.0,
) -> PostClassifier:  # fmt: skip
    """Seeded multinomial logistic regression (L2, inverse strength `c`) in `classes` order;
    with `ngram_weight` > 0 also over the word n-grams of `texts` (one per vector), whose
    vocabulary is fit on those texts."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    ngrams = fit_ngrams(texts, weight=ngram_weight) if ngram_weight > 0 else None
    x = np.hstack([vectors, ngrams.transform(texts)]) if ngrams else vectors
    index = {name: i for i, name in enumerate(classes)}
    y = np.asarray([index[label] for label in labels])
    model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    coef = np.zeros((len(classes), x.shape[1]))
    intercept = np.full(len(classes), _ABSENT)
    seen = [int(k) for k in model.classes_]
    if len(seen) == 2:  # scikit-learn keeps one row for two classes: p(second) = sigmoid(row)
        coef[seen[1]], intercept[seen[0]], intercept[seen[1]] = (
            model.coef_[0],
            0.0,
            model.intercept_[0],
        )
    else:
        coef[seen], intercept[seen] = model.coef_, model.intercept_
    return PostClassifier(
        classes=tuple(classes), coef=tuple(tuple(float(x) for x in row) for row in coef),
        intercept=tuple(float(x) for x in intercept), model_id=model_id, ngrams=ngrams,
    )  # fmt: skip


def _fit_on(data: ClassData, posts: np.ndarray, c: float) -> PostClassifier:
    vectors = np.vstack([data.catalog_vectors, data.vectors[posts]])
    labels = [*data.catalog_labels, *(data.labels[i] for i in posts)]
    texts = [*data.catalog_texts, *(data.texts[i] for i in posts)]
    return fit_classifier(vectors, labels, data.classes, c, data.model_id, texts=texts,
                          ngram_weight=data.ngram_weight)  # fmt: skip


def _probabilities(classifier: PostClassifier, data: ClassData, posts: np.ndarray) -> Floats:
    texts = [data.texts[i] for i in posts] if classifier.ngrams else None
    return classifier.probabilities(data.vectors[posts], texts)


def class_probabilities(
    data: ClassData, train: np.ndarray, *, folds: int, c: float, seed: int = 0
) -> Floats:
    """Class probabilities per post (module docstring): out of fold for `train` posts (folds by
    `fold_key`, as `calibrate_train.out_of_fold`), from the whole of `train` for the others."""
    train_idx = np.flatnonzero(train)
    fold_of = query_folds([data.fold_key[i] for i in train_idx], folds, seed)
    fold = np.asarray([fold_of[data.fold_key[i]] for i in train_idx])
    probs = np.zeros((len(data.labels), len(data.classes)))
    for k in range(folds):
        held = train_idx[fold == k]
        if len(held):
            probs[held] = _probabilities(_fit_on(data, train_idx[fold != k], c), data, held)
    others = np.flatnonzero(~np.asarray(train, dtype=bool))
    if len(others):
        probs[others] = _probabilities(_fit_on(data, train_idx, c), data, others)
    return probs


def fit_all(data: ClassData, c: float) -> PostClassifier:
    """The classifier the live path uses: every post and the catalog."""
    return _fit_on(data, np.arange(len(data.labels)), c)


def row_classes(
    probs: Floats, group: np.ndarray, cand_ids: Sequence[str], classes: Sequence[str]
) -> Floats:
    """`CLASS_FEATURES` per calibrator row: row i is a candidate `cand_ids[i]` of post
    `group[i]` (the same computation the live path makes, `post_classes.class_features`)."""
    column = {name: i for i, name in enumerate(classes) if name != NONE}
    out = np.zeros((len(cand_ids), 2))
    for r, (g, cid) in enumerate(zip(group, cand_ids, strict=True)):
        out[r] = class_features(probs[g], np.asarray([column.get(cid, -1)]))[0]
    return out
