"""`hit_document` / `hit_action` / `hit_from_document` round-trip and keep reviews safe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.records import Hit
from pipeline.elastic import document


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
    action = document.hit_action(hit, "p-hits")
    assert action["_op_type"] == "update"
    assert action["_id"] == hit.id
    assert action["_index"] == "p-hits"
    assert "review" not in action["doc"]
    assert action["upsert"]["review"]["state"] == "unreviewed"


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
