"""Pure Elasticsearch bodies: only whitelisted fields and fixed query types ever appear."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.api import clauses, export, queries, results
from pipeline.api.params import HitFilters, ParamError, build_filters


def test_free_text_uses_simple_query_string_with_limited_flags() -> None:
    body = queries.search_body(HitFilters(q='votes~2 "rigged machines"'), "relevance", 20)
    (must,) = body["query"]["bool"]["must"]
    sqs = must["simple_query_string"]
    assert sqs["query"] == 'votes~2 "rigged machines"'
    assert sqs["fields"] == list(clauses.SEARCH_FIELDS)
    assert "FUZZY" not in sqs["flags"] and "SLOP" not in sqs["flags"]
    assert body["highlight"]["encoder"] == "html"
    assert body["source_excludes"] == ["embedding", "post.raw"]
    assert body["sort"][-1] == {"id": "asc"}  # unique tie-breaker for search_after


def test_filters_become_terms_and_ranges_on_fixed_fields() -> None:
    filters = build_filters(
        narrative=["n1", "n2"],
        platform=["bluesky"],
        author=["a"],
        review=["unreviewed"],
        since="2025-03-01",
        min_score=0.5,
    )
    found = clauses.filter_clauses(filters)
    text = json.dumps(found)
    assert {"terms": {"narrative.id": ["n1", "n2"]}} in found
    assert {"terms": {"post.author.handle": ["a"]}} in found
    assert {"range": {"post.created_at": {"gte": "2025-03-01T00:00:00Z"}}} in found
    assert {"range": {"scores.combined": {"gte": 0.5}}} in found
    assert "must_not" in text  # unreviewed includes documents without a review state


def test_match_all_without_text_and_search_after() -> None:
    body = queries.search_body(HitFilters(), "newest", 5, ["2025", "id"])
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["search_after"] == ["2025", "id"]


def test_knn_body_filters() -> None:
    body = queries.knn_body([0.1, 0.2], 3, HitFilters(platform=("x",)))
    assert body["knn"]["k"] == 3 and body["knn"]["num_candidates"] >= 50
    assert body["knn"]["filter"] == [
        {"terms": {"post.platform": ["x"]}},
        clauses.withdrawn_clause("exclude"),
    ]


def test_withdrawn_hits_are_left_out_unless_asked() -> None:
    hidden = {"exists": {"field": "deleted_at"}}, {"exists": {"field": "superseded_at"}}
    default = clauses.filter_clauses(build_filters())
    assert default == [{"bool": {"must_not": list(hidden)}}]
    only = clauses.filter_clauses(build_filters(deleted="only"))
    assert only == [{"bool": {"should": list(hidden), "minimum_should_match": 1}}]
    assert clauses.filter_clauses(build_filters(deleted="include")) == []
    trends = queries.narratives_body(14, datetime(2024, 11, 6, tzinfo=UTC))
    assert trends["query"] == {"bool": {"filter": [{"bool": {"must_not": list(hidden)}}]}}


def test_unknown_deleted_mode_is_a_param_error() -> None:
    with pytest.raises(ParamError) as caught:
        build_filters(deleted="hidden")
    assert caught.value.parameter == "deleted"


def test_aggregation_reader() -> None:
    response = {
        "hits": {"total": {"value": 3}},
        "aggregations": {
            "narratives": {
                "buckets": [
                    {
                        "key": "n1",
                        "doc_count": 3,
                        "title": {"buckets": [{"key": "T"}]},
                        "severity": {"buckets": []},
                    }
                ]
            },
            "platforms": {"buckets": [{"key": "x", "doc_count": 3}]},
            "over_time": {"buckets": [{"key_as_string": "2025-03-01", "doc_count": 3}]},
        },
    }
    out = results.read_aggregations(response)
    assert out["total"] == 3
    assert out["narratives"] == [{"key": "n1", "count": 3, "title": "T", "severity": None}]
    assert out["platforms"] == [{"key": "x", "count": 3}]
    assert out["over_time"] == [{"key": "2025-03-01", "count": 3}]
    assert out["domains"] == []


def test_narratives_body_bounds_cover_the_window() -> None:
    now = datetime(2025, 3, 14, 15, tzinfo=UTC)
    body = queries.narratives_body(14, now)
    bounds = body["aggs"]["narratives"]["aggs"]["recent"]["aggs"]["per_day"]["date_histogram"]
    assert bounds["extended_bounds"]["min"] == "2025-03-01T00:00:00Z"


def test_flatten_and_csv_export() -> None:
    source = {"id": "h", "post": {"text": "a,b\nc", "author": {"handle": None}}}
    assert results.flatten(source, ("id", "post.text", "post.author.handle", "x.y")) == {
        "id": "h",
        "post.text": "a,b\nc",
        "post.author.handle": None,
        "x.y": None,
    }
    media, lines = export.render([source], "csv")
    rows = list(lines)
    assert media.startswith("text/csv")
    assert rows[0].startswith("id,post.id")
    assert rows[1].startswith('h,,,,,"a,b\nc"')
