"""Hit documents round-trip, bulk writes keep reviews safe, and every hit gets one outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.records import Explanation, Hit, Match, NarrativeRef, Post, Scores
from pipeline.elastic import hits as document
from pipeline.elastic.errors import ElasticRejected
from pipeline.elastic.hits import bulk_operations, sort_bulk_response


def test_document_is_the_hit_plus_derived_fields(hit: Hit) -> None:
    when = datetime(2025, 3, 2, tzinfo=UTC)
    doc = document.hit_document(hit, indexed_at=when)
    assert doc["id"] == hit.id
    assert doc["post"]["text"] == hit.post.text
    assert doc["embedding"] == [0.1, 0.2, 0.3]
    assert doc["domain"] == "example.com"
    assert doc["indexed_at"] == "2025-03-02T00:00:00Z"
    assert doc["post"]["created_at"].startswith("2025-03-01T12:00:00")
    assert "review" not in doc  # a redelivered hit must not reset a review


def test_round_trip(hit: Hit) -> None:
    doc = document.hit_document(hit)
    doc["review"] = {"state": "confirmed"}
    assert document.hit_from_document(doc) == hit


def test_action_upserts_with_unreviewed_default(hit: Hit) -> None:
    action, body = bulk_operations([hit], "p-hits")
    assert list(action) == ["update"]
    assert action["update"]["_id"] == hit.id
    assert action["update"]["_index"] == "p-hits"
    assert "review" not in body["doc"]
    assert body["upsert"]["review"]["state"] == "unreviewed"


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.Example.com/x", "example.com"),
        ("http://news.example.co.uk:8080/a", "news.example.co.uk"),
        ("example.org/path", "example.org"),
        ("", None),
        (None, None),
        ("not a url", None),
        ("http://[::1", None),
    ],
)
def test_domain_of(url: str | None, domain: str | None) -> None:
    assert document.domain_of(url) == domain


def test_review_of_defaults() -> None:
    assert document.review_of({})["state"] == "unreviewed"
    assert (
        document.review_of({"review": {"state": "confirmed", "reviewer": "a"}})["reviewer"] == "a"
    )


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
    ops = bulk_operations(hits, "alias")
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
    with pytest.raises(ElasticRejected):
        sort_bulk_response(hits, {"items": response["items"][:2]})
