from __future__ import annotations

import re
from pathlib import Path

import pytest

from models.evaluation.metrics import (
    average_precision,
    evaluate_rankings,
    qrels_mismatch,
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


@pytest.mark.parametrize(
    ("queries_text", "qrels_text", "message"),
    [
        ("q1\tfine\nq2 no tab here\n", "q1 0 c1 1\n", "q.tsv:2: expected 'query_id<TAB>text'"),
        ("q1\tfine\n\t orphan text\n", "q1 0 c1 1\n", "q.tsv:2: empty query id"),
        ("q1\tfine\nq1\tagain\n", "q1 0 c1 1\n", "q.tsv:2: query id 'q1' given twice"),
        ("q1\tfine\n", "q1 0 c1 1\nq1 0 c2\n", "qrels.tsv:2: expected 'query_id 0 claim_id"),
        ("q1\tfine\n", "q1 0 c1 yes\n", "qrels.tsv:1: relevance 'yes' is not an integer"),
    ],
)
def test_readers_name_the_line_of_a_malformed_file(
    tmp_path: Path, queries_text: str, qrels_text: str, message: str
) -> None:
    queries, qrels = tmp_path / "q.tsv", tmp_path / "qrels.tsv"
    queries.write_text(queries_text)
    qrels.write_text(qrels_text)
    with pytest.raises(ValueError, match=re.escape(message)):
        read_queries(queries)
        read_qrels(qrels)


def test_a_header_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    queries = tmp_path / "q.tsv"
    queries.write_text("tweet_id\ttweet\n\nq1\tfine\n")
    assert read_queries(queries) == {"q1": "fine"}


def test_qrels_mismatch_names_what_cannot_be_scored() -> None:
    queries = {"q1": "a", "q2": "b"}
    assert qrels_mismatch(queries, {"q1": {"c1"}, "q9": {"zz"}}, {"c1", "c2"}) is None
    assert "no query" in str(qrels_mismatch(queries, {"q9": {"c1"}}, {"c1"}))
    problem = str(qrels_mismatch(queries, {"q1": {"c1"}, "q2": {"c7", "c8"}}, {"c1"}))
    assert "2 claim id(s)" in problem and "c7, c8" in problem
