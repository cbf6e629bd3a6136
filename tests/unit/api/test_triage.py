"""The triage queue's sort and cursors, and the public explanation (pure parts)."""

from __future__ import annotations

from typing import Any

from pipeline.api import queries
from pipeline.api.params import HitFilters, decode_cursor, encode_cursor
from pipeline.api.transparency import public_explanation
from pipeline.elastic.hits import hit_document
from pipeline.elastic.schema.mapping import REVIEW_STATES
from tests.unit.elastic.hits import make_hit


def test_unreviewed_sorts_after_every_label_so_descending_puts_it_first() -> None:
    # the triage sort has no script: it relies on this order of the review states
    assert sorted(REVIEW_STATES, reverse=True)[0] == "unreviewed"
    assert sorted(REVIEW_STATES, reverse=True)[1] == "needs_context"


def test_triage_is_review_state_then_threat_then_newest() -> None:
    body = queries.search_body(HitFilters(), "triage", 20)
    assert body["sort"] == [
        {"review.state": {"order": "desc", "missing": "_first"}},
        {"threat.score": {"order": "desc", "missing": "_last"}},
        {"post.created_at": "desc"},
        {"id": "asc"},
    ]


def test_triage_cursor_carries_four_values_including_a_missing_state() -> None:
    cursor = encode_cursor("triage", [None, 66.7, 1741000000000, "bsky:1:n"])
    assert decode_cursor(cursor, "triage") == [None, 66.7, 1741000000000, "bsky:1:n"]


def _source(**narrative: Any) -> dict[str, Any]:
    doc = hit_document(make_hit(url="https://x.example/p/1"))
    doc["narrative"].update(narrative)
    return doc


def test_public_explanation_says_why_in_plain_words_without_internal_notes() -> None:
    source = _source(
        why_tracked="Harmful: puts workers at risk.",
        fact_checks=[
            {"url": "https://factcheck.example/a", "publisher": "FC", "rating": "False"},
            {"url": "javascript:alert(1)", "publisher": "evil"},
        ],
    )
    review = {"state": "confirmed", "reviewer": "ana", "reviewed_at": "2025-03-02T00:00:00Z",
              "note": "internal: escalate to legal"}  # fmt: skip
    body = public_explanation(source, review)
    assert body["narrative"] == {
        "id": "n-rigged",
        "title": "Machines rigged",
        "verdict": "false",
        "why_tracked": "Harmful: puts workers at risk.",
    }
    assert body["fact_checks"] == [
        {"url": "https://factcheck.example/a", "publisher": "FC", "rating": "False"}
    ]
    assert body["resembled"] == "Voting machines flipped votes"
    assert (body["score"], body["threshold"], body["stance"]) == (0.7, 0.6, "promotes")
    assert body["catalog_version"] == "v1"
    assert body["review"] == {"state": "confirmed", "decided_at": "2025-03-02T00:00:00Z"}
    text = body["text"]
    assert '"Machines rigged"' in text and "Why it is tracked: Harmful" in text
    assert "0.70 on a scale of 0 to 1; posts are flagged at 0.60 or above" in text
    assert "FC (https://factcheck.example/a)" in text
    assert "A reviewer confirmed" in text
    flat = repr(body)
    assert "ana" not in flat and "internal" not in flat and "javascript" not in flat


def test_public_explanation_falls_back_to_the_catalog_for_older_hits() -> None:
    catalog_entry = {
        "why_tracked": "From the catalog.",
        "fact_checks": [{"url": "https://f.example"}],
    }
    body = public_explanation(_source(), {"state": "unreviewed"}, catalog_entry)
    assert body["narrative"]["why_tracked"] == "From the catalog."
    assert body["fact_checks"][0]["url"] == "https://f.example"
    assert "Not reviewed by a person yet" in body["text"]
