"""Retry classification, backoff, and sorting of bulk responses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.records import Explanation, Hit, Match, NarrativeRef, Post, Scores
from pipeline.elastic.errors import backoff_delay, classify_status, is_transient_exception
from pipeline.elastic.hits import BulkRequestError, bulk_operations, sort_bulk_response
from pipeline.elastic.schema import hit_action


@pytest.mark.parametrize(
    ("status", "error_type", "result", "expected"),
    [
        (201, None, "created", "created"),
        (200, None, "updated", "duplicate"),
        (200, None, "noop", "duplicate"),
        (409, "version_conflict_engine_exception", None, "duplicate"),
        (429, "es_rejected_execution_exception", None, "transient"),
        (503, None, None, "transient"),
        (404, "index_not_found_exception", None, "transient"),
        (400, "mapper_parsing_exception", None, "permanent"),
        (400, "document_parsing_exception", None, "permanent"),
    ],
)
def test_classify_status(
    status: int, error_type: str | None, result: str | None, expected: str
) -> None:
    assert classify_status(status, error_type, result) == expected


def test_connection_errors_are_transient() -> None:
    from elasticsearch import ConnectionError as EsConnectionError

    assert is_transient_exception(EsConnectionError("refused"))
    assert is_transient_exception(TimeoutError())
    assert not is_transient_exception(ValueError("bug"))


def test_backoff_grows_exponentially_and_is_capped() -> None:
    no_jitter = [backoff_delay(a, base_s=0.5, cap_s=10, jitter=0.0) for a in range(8)]
    assert no_jitter[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert no_jitter[5:] == [10, 10, 10]
    assert backoff_delay(2, base_s=1, cap_s=100, jitter=0.5, rand=lambda: 1.0) == 6.0
    assert backoff_delay(2, base_s=1, cap_s=100, jitter=0.5, rand=lambda: 0.0) == 2.0
    with pytest.raises(ValueError):
        backoff_delay(-1)


def _hit(n: int) -> Hit:
    post = Post(
        id=f"x:{n}",
        platform="x",
        source="t",
        text="text",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    ref = NarrativeRef(id="n1", title="N", severity="high", verdict="false")
    scores = Scores(dense=0.9, lexical=0.5, combined=0.8)
    explanation = Explanation(
        summary="s",
        best_exemplar="e",
        dense_score=0.9,
        lexical_score=0.5,
        fused_score=0.8,
        threshold=0.5,
        model_id="m",
        catalog_version="v",
    )
    return Hit.from_match(
        post, Match(narrative=ref, scores=scores, exemplar="e", explanation=explanation)
    )


def test_bulk_operations_use_the_hit_id_as_document_id() -> None:
    hits = [_hit(1), _hit(2)]
    ops = bulk_operations(hits, "alias", hit_action)
    assert len(ops) == 4
    assert ops[0] == {"update": {"_index": "alias", "_id": "x:1:n1"}}
    assert ops[2] == {"update": {"_index": "alias", "_id": "x:2:n1"}}
    assert "upsert" in ops[1] and "doc" in ops[1]


def test_sort_bulk_response_puts_every_hit_in_one_list() -> None:
    hits = [_hit(i) for i in range(4)]
    response = {
        "items": [
            {"update": {"status": 201, "result": "created"}},
            {"update": {"status": 200, "result": "noop"}},
            {"update": {"status": 429, "error": {"type": "es_rejected_execution_exception"}}},
            {
                "update": {
                    "status": 400,
                    "error": {"type": "mapper_parsing_exception", "reason": "x"},
                }
            },
        ]
    }
    result = sort_bulk_response(hits, response)
    assert result.created == [hits[0]]
    assert result.duplicates == [hits[1]]
    assert [h for h, _ in result.retry] == [hits[2]]
    assert [h for h, _ in result.rejected] == [hits[3]]
    assert "mapper_parsing_exception" in result.rejected[0][1]
    with pytest.raises(BulkRequestError):
        sort_bulk_response(hits, {"items": response["items"][:2]})
