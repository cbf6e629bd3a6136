"""Targeting evaluation: post-level precision/recall of the `targeting` flag on a labelled JSONL
split (``text`` and ``label: {targeting: bool, kind: str}``), with recall per positive kind
(explicit, pii, veiled) and false positives per hard-negative kind (news, thanks, official, ...).

Methods: ``classifier`` (live: the shipped classifier's probability over the post embedding plus
a role word, `models.signals.targeting_classifier`), ``patterns`` (the regular expressions
alone), ``embedding`` (exemplar margin alone, flag when the margin exceeds `threshold`),
``combined`` (patterns, or a role word plus a margin above `threshold`). Pure apart from reading
the file and, for every method but ``patterns``, the model.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from models.signals.targeting import detect_targeting

Method = Literal["classifier", "patterns", "embedding", "combined"]
EMBEDDING_THRESHOLD = 0.025
"""Margin chosen on the tuning split: best precision at recall >= 0.85 (embedding alone)."""


@dataclass(frozen=True)
class LabelledPost:
    id: str
    text: str
    targeting: bool
    kind: str


@dataclass
class TargetingReport:
    method: str
    posts: int
    positives: int
    true_positives: int
    false_positives: int
    recall_by_kind: dict[str, str] = field(default_factory=dict)
    false_positives_by_kind: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.positives if self.positives else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "posts": self.posts,
            "positives": self.positives,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "recall_by_kind": self.recall_by_kind,
            "false_positives_by_kind": self.false_positives_by_kind,
        }


def read_labelled(path: Path) -> list[LabelledPost]:
    posts = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            label = row["label"]
            posts.append(
                LabelledPost(row["id"], row["text"], bool(label["targeting"]), label["kind"])
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled targeting post: {exc}") from exc
    return posts


def embed_posts(
    posts: Sequence[LabelledPost], model_path: str | None = None, cache_dir: Path | None = None
) -> npt.NDArray[np.float64]:
    """The posts' embeddings with the packaged model (or `model_path`); with `cache_dir` the
    embedder picks the same backend as the worker (ONNX int8 on CPU)."""
    from models.matching.embedder import Embedder

    vectors = Embedder(model_path, cache_dir=cache_dir).encode_cached([p.text for p in posts])
    return np.asarray(vectors, dtype=np.float64)


def predict(  # noqa: PLR0917
    posts: Sequence[LabelledPost],
    method: Method = "classifier",
    threshold: float = EMBEDDING_THRESHOLD,
    model_path: str | None = None,
    cache_dir: Path | None = None,
    classifier_path: Path | None = None,
) -> list[bool]:
    results = [detect_targeting(p.text) for p in posts]
    if method == "patterns":
        return [r.targeting for r in results]
    if method == "classifier":
        from models.signals.targeting_classifier import DEFAULT_CLASSIFIER, load_classifier

        classifier = load_classifier(classifier_path or DEFAULT_CLASSIFIER)
        probabilities = classifier.probabilities(embed_posts(posts, model_path, cache_dir))
        return [
            detect_targeting(p.text, probability=float(q), threshold=classifier.threshold).targeting
            for p, q in zip(posts, probabilities, strict=True)
        ]
    from models.matching.embedder import Embedder
    from models.signals.targeting_semantic import ExemplarScorer

    margins = ExemplarScorer(Embedder(model_path)).margins([p.text for p in posts])
    if method == "embedding":
        return [bool(m > threshold) for m in margins]
    return [
        r.targeting or ("role" in r.kinds() and bool(m > threshold))
        for r, m in zip(results, margins, strict=True)
    ]


def evaluate(
    posts: Sequence[LabelledPost], predictions: Sequence[bool], method: str
) -> TargetingReport:
    positives = Counter(p.kind for p in posts if p.targeting)
    found: Counter[str] = Counter()
    false_by_kind: Counter[str] = Counter()
    report = TargetingReport(method, len(posts), sum(positives.values()), 0, 0)
    for post, flagged in zip(posts, predictions, strict=True):
        if flagged and post.targeting:
            report.true_positives += 1
            found[post.kind] += 1
        elif flagged:
            report.false_positives += 1
            false_by_kind[post.kind] += 1
        if flagged != post.targeting:
            report.errors.append(
                {"id": post.id, "label": post.targeting, "kind": post.kind, "text": post.text}
            )
    report.recall_by_kind = {k: f"{found[k]}/{n}" for k, n in sorted(positives.items())}
    report.false_positives_by_kind = dict(sorted(false_by_kind.items()))
    return report
