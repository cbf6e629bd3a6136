"""Targeting evaluation: post-level precision/recall of the `targeting` flag on a labelled JSONL
split (``text`` and ``label: {targeting: bool, kind: str}``), with recall per positive kind
(explicit, pii, veiled) and false positives per hard-negative kind (news, thanks, official, ...).

Methods: ``patterns`` (the shipped `detect_targeting`), ``embedding`` (exemplar margin alone,
flag when the margin exceeds `threshold`), ``combined`` (patterns, or a role word plus a margin
above `threshold`). Pure apart from reading the file and, for the embedding methods, the model.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from models.signals.targeting import detect_targeting

Method = Literal["patterns", "embedding", "combined"]
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


def predict(
    posts: Sequence[LabelledPost],
    method: Method = "patterns",
    threshold: float = EMBEDDING_THRESHOLD,
    model_path: str | None = None,
) -> list[bool]:
    results = [detect_targeting(p.text) for p in posts]
    if method == "patterns":
        return [r.targeting for r in results]
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
