"""Pure Elasticsearch request bodies for the analyst API: one page of hits, aggregations, kNN and
narrative trends. The clauses come from `pipeline.api.clauses`, which holds the safety contract
(no caller-supplied JSON reaches Elasticsearch); the readers of the responses are in
`pipeline.api.results`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pipeline.api.clauses import (
    SCORE_FIELD,
    THREAT_FIELD,
    TIME_FIELD,
    filter_clauses,
    hits_query,
    iso,
    withdrawn_clause,
)
from pipeline.api.params import HitFilters, Interval

HIGHLIGHT_FIELDS = ("post.text", "post.title")
SOURCE_EXCLUDES = ["embedding", "post.raw"]

# Each sort ends with the unique ``id`` so ``search_after`` pages never skip or repeat a tie.
# ``triage`` (the default) is the analyst's queue: unreviewed first, then highest threat. Without
# scripts (the integ-test-zip build has no painless) "unreviewed first" is the review state in
# descending order: ``unreviewed`` sorts after every label (a unit test keeps it so), then come
# ``needs_context``, ``false_positive``, ``correct_no_action``, ``confirmed``; a document without
# a state (indexed before reviews existed) counts as unreviewed. Hits scored before threat
# levels existed come last in their group.
TRIAGE_SORT: list[dict[str, Any]] = [
    {"review.state": {"order": "desc", "missing": "_first"}},
    {THREAT_FIELD: {"order": "desc", "missing": "_last"}},
    {TIME_FIELD: "desc"},
    {"id": "asc"},
]
SORTS: dict[str, list[dict[str, Any]]] = {
    "triage": TRIAGE_SORT,
    "relevance": [{"_score": "desc"}, {TIME_FIELD: "desc"}, {"id": "asc"}],
    "newest": [{TIME_FIELD: "desc"}, {"id": "asc"}],
    "oldest": [{TIME_FIELD: "asc"}, {"id": "asc"}],
    "score": [{SCORE_FIELD: "desc"}, {"id": "asc"}],
    # Reach, largest first; posts without the figure last, newest first among equals.
    "followers": [{"post.author.followers": "desc"}, {TIME_FIELD: "desc"}, {"id": "asc"}],
    "likes": [{"post.engagement.likes": "desc"}, {TIME_FIELD: "desc"}, {"id": "asc"}],
    "views": [{"post.engagement.views": "desc"}, {TIME_FIELD: "desc"}, {"id": "asc"}],
    # Highest threat first whatever the review state.
    "threat": [
        {THREAT_FIELD: {"order": "desc", "missing": "_last"}},
        {TIME_FIELD: "desc"},
        {"id": "asc"},
    ],
}


def highlight() -> dict[str, Any]:
    """Highlights with ``<mark>``; ``encoder: html`` escapes the rest of the text, so a fragment
    is safe to insert as HTML."""
    return {
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "encoder": "html",
        "fields": {
            "post.text": {"fragment_size": 180, "number_of_fragments": 3, "no_match_size": 180},
            "post.title": {"number_of_fragments": 0},
        },
    }


def search_body(
    filters: HitFilters, sort: str, size: int, search_after: list[Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``client.search`` (one page)."""
    body: dict[str, Any] = {
        "query": hits_query(filters),
        "sort": SORTS[sort],
        "size": size,
        "track_total_hits": 10_000,
        "source_excludes": SOURCE_EXCLUDES,
        "highlight": highlight(),
    }
    if search_after:
        body["search_after"] = search_after
    return body


def aggregations_body(filters: HitFilters, interval: Interval, top: int) -> dict[str, Any]:
    """Keyword arguments for ``client.search``: counts only, no hits."""

    def terms(field: str) -> dict[str, Any]:
        return {"terms": {"field": field, "size": top}}

    return {
        "query": hits_query(filters),
        "size": 0,
        "track_total_hits": True,
        "aggs": {
            "narratives": {
                **terms("narrative.id"),
                "aggs": {
                    "title": {"terms": {"field": "narrative.title.keyword", "size": 1}},
                    "severity": {"terms": {"field": "narrative.severity", "size": 1}},
                },
            },
            "platforms": terms("post.platform"),
            "stances": {"terms": {"field": "stance", "size": 10, "missing": "unknown"}},
            "severities": terms("narrative.severity"),
            "review_states": {"terms": {"field": "review.state", "size": 10}},
            "authors": terms("post.author.handle"),
            "domains": terms("domain"),
            "over_time": {
                "date_histogram": {
                    "field": TIME_FIELD,
                    "calendar_interval": interval,
                    "min_doc_count": 0,
                }
            },
        },
    }


def knn_body(vector: list[float], size: int, filters: HitFilters) -> dict[str, Any]:
    """Keyword arguments for ``client.search``: nearest hits by ``embedding`` (cosine)."""
    knn: dict[str, Any] = {
        "field": "embedding",
        "query_vector": vector,
        "k": size,
        "num_candidates": max(50, size * 5),
    }
    clauses = filter_clauses(filters)
    if clauses:
        knn["filter"] = clauses
    return {"knn": knn, "size": size, "source_excludes": SOURCE_EXCLUDES}


def narratives_body(days: int, now: datetime) -> dict[str, Any]:
    """Per-narrative totals and per-day counts over the last `days` days (empty days included),
    withdrawn hits left out."""
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "size": 0,
        "query": {"bool": {"filter": [withdrawn_clause("exclude")]}},
        "aggs": {
            "narratives": {
                "terms": {"field": "narrative.id", "size": 10_000},
                "aggs": {
                    "title": {"terms": {"field": "narrative.title.keyword", "size": 1}},
                    "severity": {"terms": {"field": "narrative.severity", "size": 1}},
                    "recent": {
                        "filter": {"range": {TIME_FIELD: {"gte": iso(start)}}},
                        "aggs": {
                            "per_day": {
                                "date_histogram": {
                                    "field": TIME_FIELD,
                                    "calendar_interval": "day",
                                    "min_doc_count": 0,
                                    "extended_bounds": {
                                        "min": iso(start),
                                        "max": iso(now),
                                    },
                                }
                            }
                        },
                    },
                    "last_seen": {"max": {"field": TIME_FIELD}},
                },
            }
        },
    }
