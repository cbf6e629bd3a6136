"""`emerging_eval.replay` on a synthetic stream: the injected topic is surfaced and scored, and
each round's clustering cost is reported."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from models.evaluation.emerging_eval import StreamPost, replay
from models.records import Post
from models.signals.emerging import EmergingConfig
from tests.unit.models.signals.test_emerging import _stream


def test_replay_scores_the_injected_topic_and_times_each_round() -> None:
    stored = _stream(np.random.default_rng(7))
    rows = [
        StreamPost(
            Post(id=p.post_id, platform=p.platform, source="test", text=p.text,
                 created_at=p.created_at, author={"id": p.author}),
            "injected" if p.post_id.startswith("n") else None,
        )
        for p in stored
    ]  # fmt: skip
    vectors = np.stack([p.embedding for p in stored])
    out = replay(rows, vectors, EmergingConfig(), interval=timedelta(minutes=10))
    assert out["injected_posts"] == 20
    assert out["recall"] >= 0.8 and out["precision"] >= 0.8
    assert out["false_candidates"] == 0
    assert out["rounds_run"] >= 18  # three hours in 10-minute rounds
    assert 0 < out["round_seconds_mean"] <= out["round_seconds_max"]
    assert 0 < out["round_seconds_last"] <= out["round_seconds_max"]
    assert out["window_posts_last_round"] > 0
