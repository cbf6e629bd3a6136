"""Narrative-assignment quality on labelled posts: reader and metrics. Pure except the reader.

Format: JSONL, one post per line with ``text`` and a label object under ``label`` or ``demo_label``
(the demo posts' key): ``{"narrative": id | null, "stance": "promotes" | "debunks" |
"discusses" | null}``. ``narrative: null`` marks chatter (the post should match nothing). An
optional ``created_at`` (ISO date or datetime) becomes the post's date for the matcher; an optional
``batch`` names the tuning batch a post was written in (training scripts can leave one out).

Scoring takes, per post, the matcher's TOP match (or none):
- a post is *correct* when the top match equals its label; chatter is correct when nothing matches;
- precision = correct narrative predictions / posts with any prediction; recall = correct
  narrative predictions / posts labelled with a narrative; F1 their harmonic mean (micro, per post);
- chatter false-positive rate = chatter posts with any prediction / chatter posts;
- stance accuracy = right stance / correctly matched posts that carry a stance label;
- per narrative: support (labelled), predicted, true positives, precision, recall, F1, stance;
- recall by labelled stance (`recall_by_stance`: stance -> (matched, labelled)), so debunking
  posts, which share few words with a claim's exemplars, are seen to reach it or not;
- over EVERY hit (a post's second hits too, `Prediction.also`): hits, hits on the labelled
  narrative, and their ratio, the hit precision an analyst's queue sees.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.matching.matcher import NarrativeMatcher

STANCES = ("promotes", "debunks", "discusses")


@dataclass(frozen=True)
class LabelledPost:
    text: str
    narrative: str | None
    stance: str | None = None
    date: dt.date | None = None
    id: str = ""
    batch: str | None = None
    line: int = 0  # where `read_labelled_posts` read it (0: not from a file)


@dataclass(frozen=True)
class Prediction:
    """The matcher's top match for one post (``narrative=None``: nothing matched) and, in
    `also`, the narratives of its other hits (a post gets a second hit when that narrative's
    probability is within the calibrator's margin of the top one)."""

    narrative: str | None
    stance: str | None = None
    score: float | None = None
    also: tuple[str, ...] = ()


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass(frozen=True)
class NarrativeRow:
    narrative: str
    support: int
    predicted: int
    true_positives: int
    stance_correct: int
    stance_labelled: int

    @property
    def precision(self) -> float:
        return _ratio(self.true_positives, self.predicted)

    @property
    def recall(self) -> float:
        return _ratio(self.true_positives, self.support)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    @property
    def stance_accuracy(self) -> float:
        return _ratio(self.stance_correct, self.stance_labelled)


@dataclass(frozen=True)
class PostsReport:
    posts: int
    chatter: int
    labelled: int
    predicted: int
    true_positives: int
    chatter_hits: int
    stance_correct: int
    stance_labelled: int
    correct: int
    per_narrative: tuple[NarrativeRow, ...]
    stance_confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: tuple[tuple[str, str | None, str | None], ...] = ()
    stance_errors: tuple[tuple[str, str, str], ...] = ()
    hits: int = 0  # every hit, second hits included
    correct_hits: int = 0  # hits on the post's labelled narrative
    recall_by_stance: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return _ratio(self.true_positives, self.predicted)

    @property
    def hit_precision(self) -> float:
        """Over EVERY hit, not only each post's top one: what an analyst's queue holds."""
        return _ratio(self.correct_hits, self.hits)

    @property
    def recall(self) -> float:
        return _ratio(self.true_positives, self.labelled)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    @property
    def chatter_fp_rate(self) -> float:
        return _ratio(self.chatter_hits, self.chatter)

    @property
    def stance_accuracy(self) -> float:
        return _ratio(self.stance_correct, self.stance_labelled)

    @property
    def accuracy(self) -> float:
        return _ratio(self.correct, self.posts)

    def as_json(self) -> dict[str, Any]:
        return {
            "posts": self.posts, "chatter": self.chatter, "labelled": self.labelled,
            "predicted": self.predicted, "true_positives": self.true_positives,
            "precision": self.precision, "recall": self.recall, "f1": self.f1,
            "accuracy": self.accuracy, "chatter_hits": self.chatter_hits,
            "chatter_fp_rate": self.chatter_fp_rate, "stance_correct": self.stance_correct,
            "stance_labelled": self.stance_labelled, "stance_accuracy": self.stance_accuracy,
            "stance_confusion": self.stance_confusion, "hits": self.hits,
            "correct_hits": self.correct_hits, "hit_precision": self.hit_precision,
            "recall_by_stance": {
                k: {"matched": m, "labelled": n, "recall": _ratio(m, n)}
                for k, (m, n) in self.recall_by_stance.items()
            },
            "per_narrative": [
                {"narrative": r.narrative, "support": r.support, "predicted": r.predicted,
                 "true_positives": r.true_positives, "precision": r.precision,
                 "recall": r.recall, "f1": r.f1, "stance_accuracy": r.stance_accuracy}
                for r in self.per_narrative
            ],
            "errors": [{"text": t, "label": g, "predicted": p} for t, g, p in self.errors],
            "stance_errors": [
                {"text": t, "label": g, "predicted": p} for t, g, p in self.stance_errors
            ],
        }  # fmt: skip


def score_posts(posts: Sequence[LabelledPost], predictions: Sequence[Prediction]) -> PostsReport:
    """Compare top matches with labels (see module docstring). Raises ValueError on a length
    mismatch."""
    if len(posts) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(posts)} posts")
    names = sorted(
        {p.narrative for p in posts if p.narrative}
        | {q.narrative for q in predictions if q.narrative}
    )
    rows: dict[str, dict[str, int]] = {
        n: dict.fromkeys(("support", "predicted", "tp", "sc", "sl"), 0) for n in names
    }
    confusion: dict[str, dict[str, int]] = {}
    errors: list[tuple[str, str | None, str | None]] = []
    stance_errors: list[tuple[str, str, str]] = []
    chatter = chatter_hits = tp = predicted = correct = sc = sl = hits = correct_hits = 0
    by_stance: dict[str, list[int]] = {}
    for post, pred in zip(posts, predictions, strict=True):
        if post.narrative is not None and post.stance is not None:
            counts = by_stance.setdefault(post.stance, [0, 0])
            counts[0] += pred.narrative == post.narrative
            counts[1] += 1
        got_all = ([pred.narrative] if pred.narrative is not None else []) + list(pred.also)
        hits += len(got_all)
        correct_hits += sum(post.narrative is not None and n == post.narrative for n in got_all)
        if post.narrative is None:
            chatter += 1
            chatter_hits += pred.narrative is not None
        else:
            rows[post.narrative]["support"] += 1
        if pred.narrative is not None:
            predicted += 1
            rows[pred.narrative]["predicted"] += 1
        if pred.narrative != post.narrative:
            errors.append((post.text, post.narrative, pred.narrative))
            continue
        correct += 1
        if post.narrative is None:
            continue
        tp += 1
        rows[post.narrative]["tp"] += 1
        if post.stance is not None:
            sl += 1
            rows[post.narrative]["sl"] += 1
            got = pred.stance or "none"
            confusion.setdefault(post.stance, {}).setdefault(got, 0)
            confusion[post.stance][got] += 1
            if got == post.stance:
                sc += 1
                rows[post.narrative]["sc"] += 1
            else:
                stance_errors.append((post.text, post.stance, got))
    return PostsReport(
        posts=len(posts), chatter=chatter, labelled=len(posts) - chatter, predicted=predicted,
        true_positives=tp, chatter_hits=chatter_hits, stance_correct=sc, stance_labelled=sl,
        correct=correct, stance_confusion=confusion, errors=tuple(errors),
        stance_errors=tuple(stance_errors), hits=hits, correct_hits=correct_hits,
        recall_by_stance={k: (m, n) for k, (m, n) in sorted(by_stance.items())},
        per_narrative=tuple(
            NarrativeRow(n, r["support"], r["predicted"], r["tp"], r["sc"], r["sl"])
            for n, r in rows.items()
        ),
    )  # fmt: skip


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def read_labelled_posts(path: Path) -> list[LabelledPost]:
    """Posts from a JSONL file (see module docstring). Raises ValueError naming ``file:line``
    for a line without ``text``, without a label object, or with an unknown stance."""
    out: list[LabelledPost] = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not JSON: {exc}") from exc
        label = row.get("label", row.get("demo_label"))
        if not isinstance(row.get("text"), str) or not isinstance(label, dict):
            raise ValueError(f"{where}: needs 'text' and a 'label' (or 'demo_label') object")
        stance = label.get("stance")
        if stance is not None and stance not in STANCES:
            raise ValueError(f"{where}: unknown stance {stance!r}")
        narrative = label.get("narrative") or None
        out.append(
            LabelledPost(
                text=row["text"],
                narrative=narrative,
                stance=stance if narrative else None,
                date=_date(row.get("created_at")),
                id=str(row.get("id", lineno)),
                batch=str(row["batch"]) if row.get("batch") is not None else None,
                line=lineno,
            )
        )
    return out


def unknown_labels(
    posts: Sequence[LabelledPost], narrative_ids: set[str], path: Path
) -> str | None:
    """Why `posts` cannot be scored against a catalog whose active narratives are
    `narrative_ids` (None when they can): a label naming another narrative would count as a
    miss, or as training data that the post is about nothing."""
    wrong = [p for p in posts if p.narrative is not None and p.narrative not in narrative_ids]
    if not wrong:
        return None
    first = wrong[0]
    return (f"{path}:{first.line}: label.narrative {first.narrative!r} is not an active "
            f"narrative of the catalog ({len(wrong)} post(s) like this)")  # fmt: skip


def predict(matcher: NarrativeMatcher, posts: Sequence[LabelledPost]) -> list[Prediction]:
    """The matcher's top match for each post (blocking; embeds every post)."""
    results = matcher.match([p.text for p in posts], dates=[p.date for p in posts])
    out = []
    for result in results:
        top = result.matches[0] if result.matches else None
        also = tuple(m.narrative.id for m in result.matches[1:])
        out.append(
            Prediction(top.narrative.id, top.stance, top.scores.combined, also)
            if top is not None
            else Prediction(None)
        )
    return out
