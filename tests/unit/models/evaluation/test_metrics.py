from __future__ import annotations

from pathlib import Path

import pytest

from models.evaluation.metrics import (
    average_precision,
    evaluate_rankings,
    read_qrels,
    read_queries,
    recall_at,
    reciprocal_rank,
)


def test_average_precision_hand_computed() -> None:
    # relevant at ranks 2 and 4: (1/2 + 2/4) / 2 = 0.5
    assert average_precision({"a", "b"}, ["x", "a", "y", "b"], 5) == pytest.approx(0.5)
    # cut at k=3: only rank 2 counts, divided by 2 relevant -> 0.25
    assert average_precision({"a", "b"}, ["x", "a", "y", "b"], 3) == pytest.approx(0.25)
    assert average_precision({"a"}, ["a"], 1) == 1.0
    assert average_precision({"a"}, [], 5) == 0.0


def test_rr_and_recall() -> None:
    assert reciprocal_rank({"c"}, ["a", "b", "c"]) == pytest.approx(1 / 3)
    assert reciprocal_rank({"z"}, ["a"]) == 0.0
    assert recall_at({"a", "b"}, ["a", "x", "b"], 2) == 0.5


def test_evaluate_rankings_means_over_qrels() -> None:
    qrels = {"q1": {"a"}, "q2": {"b"}, "q3": {"c"}}
    rankings = {"q1": ["a", "x"], "q2": ["x", "y", "b"]}  # q3 missing -> zeros
    metrics = evaluate_rankings(qrels, rankings)
    assert metrics["map@1"] == pytest.approx(1 / 3)
    assert metrics["map@3"] == pytest.approx((1 + 1 / 3) / 3)
    assert metrics["mrr"] == pytest.approx((1 + 1 / 3) / 3)
    assert metrics["p@1"] == pytest.approx(1 / 3)
    assert metrics["recall@5"] == pytest.approx(2 / 3)


def test_readers(tmp_path: Path) -> None:
    queries = tmp_path / "q.tsv"
    queries.write_text("tweet-1\tHello world\ntweet-2\tSecond\n")
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("tweet-1\t0\tvclaim-a\t1\ntweet-2 0 vclaim-b 1\ntweet-2 0 vclaim-c 0\n")
    assert read_queries(queries) == {"tweet-1": "Hello world", "tweet-2": "Second"}
    assert read_qrels(qrels) == {"tweet-1": {"vclaim-a"}, "tweet-2": {"vclaim-b"}}
