"""Emerging-narrative evaluation on a labelled stream (``emerging-{split}.jsonl``: posts with
``label: {narrative: "injected" | null}``), replayed as the worker would run it: every post goes
into an `UnmatchedStore`, and every `interval` of stream time `find_candidates` runs over the
window.

With several narratives in one stream (labels other than ``injected``) each is scored on its
own. Per round, the candidate holding most injected posts is "the injected candidate": cluster
precision = its injected posts / its size, recall = its injected posts / all injected posts.
Reported: the first round at which one candidate holds >= `target_recall` of the injected posts
(and how many rounds after the last injected post that is: the target is <= 2), the first round
with any candidate that is mostly injected posts (time to first detection from the first injected
post), precision/recall at both, and the distinct candidates that are not the injected one
(false candidates) over the whole stream.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from models.records import Post
from models.signals.emerging import EmergingConfig, StoredPost, UnmatchedStore, find_candidates
from models.signals.emerging import Vector as Vectors


@dataclass(frozen=True)
class StreamPost:
    post: Post
    narrative: str | None
    """The injected narrative's label (``"injected"`` in single-narrative streams), else None."""

    @property
    def injected(self) -> bool:
        return self.narrative is not None


def read_stream(path: Path) -> list[StreamPost]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            label = data.pop("label")
            rows.append(StreamPost(Post.model_validate(data), label.get("narrative")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled stream post: {exc}") from exc
    return sorted(rows, key=lambda r: (r.post.created_at, r.post.id))


def replay(
    rows: Sequence[StreamPost], vectors: Vectors, config: EmergingConfig,
    interval: timedelta = timedelta(minutes=10), target_recall: float = 0.8, *,
    narrative: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`narrative`: score the posts with this label only (a stream with several narratives;
    a candidate mostly of another narrative is then neither the injected one nor false)."""
    store = UnmatchedStore(config)
    chosen = [r for r in rows if r.injected and narrative in (None, r.narrative)]
    injected = {r.post.id for r in chosen}
    labelled = {r.post.id for r in rows if r.injected}
    injected_times = [r.post.created_at for r in chosen]
    first_injected, last_injected = min(injected_times), max(injected_times)
    now = rows[0].post.created_at + interval
    end = rows[-1].post.created_at + interval
    position = 0
    rounds = []
    round_seconds: list[float] = []
    false_ids: set[str] = set()
    while now <= end:
        while position < len(rows) and rows[position].post.created_at <= now:
            row = rows[position]
            store.add(StoredPost(row.post.id, row.post.created_at,
                                 row.post.author.id or row.post.id, row.post.platform,
                                 row.post.text, vectors[position]))  # fmt: skip
            position += 1
        started = time.perf_counter()
        candidates = find_candidates(store, now, config)
        round_seconds.append(time.perf_counter() - started)
        best = max(candidates, key=lambda c: len(injected & set(c.post_ids)), default=None)
        hits = len(injected & set(best.post_ids)) if best else 0
        for c in candidates:
            if len(labelled & set(c.post_ids)) * 2 < c.size:
                false_ids.add(c.candidate_id)
        rounds.append({
            "at": now.isoformat(), "candidates": len(candidates), "injected_in_best": hits,
            "precision": round(hits / best.size, 4) if best and hits else None,
            "recall": round(hits / len(injected), 4),
            "best": best.as_dict() if best and hits else None,
        })  # fmt: skip
        now += interval
    return _summary(rounds, len(injected), first_injected, last_injected, target_recall) | {
        "false_candidates": len(false_ids), "rounds_run": len(rounds),
        "interval_minutes": interval.total_seconds() / 60,
        "window_posts_last_round": len(store.window(now - interval, config.window)),
        "round_seconds_mean": round(sum(round_seconds) / max(1, len(round_seconds)), 3),
        "round_seconds_max": round(max(round_seconds, default=0.0), 3),
        "round_seconds_last": round(round_seconds[-1] if round_seconds else 0.0, 3),
    }  # fmt: skip


def _summary(
    rounds: list[dict[str, Any]], injected: int, first: Any, last: Any, target_recall: float
) -> dict[str, Any]:
    from datetime import datetime

    surfaced = next((r for r in rounds if r["recall"] >= target_recall), None)
    early = next((r for r in rounds if r["precision"] and r["precision"] >= 0.5), None)
    after_last = [r for r in rounds if datetime.fromisoformat(r["at"]) >= last]
    out: dict[str, Any] = {"injected_posts": injected, "target_recall": target_recall}
    if surfaced is not None:
        at = datetime.fromisoformat(surfaced["at"])
        out |= {
            "surfaced_at": surfaced["at"],
            "rounds_after_last_injected_post": (
                after_last.index(surfaced) + 1 if surfaced in after_last else 0
            ),
            "minutes_from_first_injected_post": round((at - first).total_seconds() / 60, 1),
            "precision": surfaced["precision"],
            "recall": surfaced["recall"],
            "candidate": surfaced["best"],
        }
    if early is not None:
        at = datetime.fromisoformat(early["at"])
        out |= {
            "first_detection_minutes": round((at - first).total_seconds() / 60, 1),
            "first_detection_recall": early["recall"],
            "first_detection_precision": early["precision"],
        }
    best = max(rounds, key=lambda r: r["recall"])
    out |= {"best_recall": best["recall"], "best_recall_precision": best["precision"]}
    return out


def embed(rows: Sequence[StreamPost], model_path: str | None, cache_dir: Path | None) -> Vectors:
    from models.matching.embedder import Embedder

    vectors = Embedder(model_path, cache_dir=cache_dir).encode_cached([r.post.text for r in rows])
    return np.asarray(vectors, dtype=np.float32)
