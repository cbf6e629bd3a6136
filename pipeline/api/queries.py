"""Pure Elasticsearch request bodies for the analyst API, and pure readers of the responses.

Safety contract: no caller-supplied JSON ever reaches Elasticsearch. Free text goes only through
``simple_query_string`` with a fixed set of operator flags (no fuzzy/slop/regex syntax) on a
whitelist of fields, and every other filter becomes a ``terms``/``range`` clause on a fixed field.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pipeline.api.params import HitFilters, Interval

# Free text searches what people posted; narratives are chosen with the `narrative` filter (the
# exemplar is the same for every hit of a narrative, so searching it would match them all).
SEARCH_FIELDS = ("post.text", "post.title^2")
QUERY_FLAGS = "AND|OR|NOT|PHRASE|PREFIX|PRECEDENCE|WHITESPACE|ESCAPE"
HIGHLIGHT_FIELDS = ("post.text", "post.title")
SOURCE_EXCLUDES = ["embedding", "post.raw"]

# filter name -> indexed field (all keyword)
FILTER_FIELDS: dict[str, str] = {
    "narrative": "narrative.id",
    "platform": "post.platform",
    "stance": "stance",
    "severity": "narrative.severity",
    "verdict": "narrative.verdict",
    "author": "post.author.handle",
    "domain": "domain",
    "language": "post.language",
}
TIME_FIELD = "post.created_at"
SCORE_FIELD = "scores.combined"

# Each sort ends with the unique ``id`` so ``search_after`` pages never skip or repeat a tie.
SORTS: dict[str, list[dict[str, Any]]] = {
    "relevance": [{"_score": "desc"}, {TIME_FIELD: "desc"}, {"id": "asc"}],
    "newest": [{TIME_FIELD: "desc"}, {"id": "asc"}],
    "oldest": [{TIME_FIELD: "asc"}, {"id": "asc"}],
    "score": [{SCORE_FIELD: "desc"}, {"id": "asc"}],
}

LIST_FIELDS = (
    "id",
    "post.id",
    "post.platform",
    "post.author.handle",
    "post.title",
    "post.text",
    "post.url",
    "post.created_at",
    "post.language",
    "narrative.id",
    "narrative.title",
    "narrative.severity",
    "narrative.verdict",
    "stance",
    "scores.combined",
    "scores.dense",
    "scores.lexical",
    "domain",
    "matched_at",
    "review.state",
    "review.reviewer",
)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def filter_clauses(filters: HitFilters) -> list[dict[str, Any]]:
    """The non-scoring clauses for `filters` (keyword terms, time and score ranges)."""
    clauses: list[dict[str, Any]] = []
    for name, field in FILTER_FIELDS.items():
        values = getattr(filters, name)
        if values:
            clauses.append({"terms": {field: list(values)}})
    if filters.review:
        states = list(filters.review)
        review: dict[str, Any] = {"terms": {"review.state": states}}
        if "unreviewed" in states:  # documents indexed before reviews existed have no state
            missing = {"bool": {"must_not": {"exists": {"field": "review.state"}}}}
            review = {"bool": {"should": [review, missing], "minimum_should_match": 1}}
        clauses.append(review)
    if filters.since or filters.until:
        bounds: dict[str, str] = {}
        if filters.since:
            bounds["gte"] = _iso(filters.since)
        if filters.until:
            bounds["lte"] = _iso(filters.until)
        clauses.append({"range": {TIME_FIELD: bounds}})
    if filters.min_score is not None:
        clauses.append({"range": {SCORE_FIELD: {"gte": filters.min_score}}})
    return clauses


def text_query(q: str) -> dict[str, Any]:
    return {
        "simple_query_string": {
            "query": q,
            "fields": list(SEARCH_FIELDS),
            "flags": QUERY_FLAGS,
            "default_operator": "and",
            "lenient": True,
        }
    }


def hits_query(filters: HitFilters) -> dict[str, Any]:
    """The ``query`` for `filters`: scoring on text when there is ``q``, filters otherwise."""
    must: list[dict[str, Any]] = [text_query(filters.q)] if filters.q else [{"match_all": {}}]
    return {"bool": {"must": must, "filter": filter_clauses(filters)}}


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


def _buckets(aggs: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        {"key": b["key"], "count": b["doc_count"]} for b in aggs.get(name, {}).get("buckets", [])
    ]


def read_aggregations(response: dict[str, Any]) -> dict[str, Any]:
    """The API shape of an `aggregations_body` response."""
    aggs = response.get("aggregations", {})
    narratives = []
    for bucket in aggs.get("narratives", {}).get("buckets", []):
        title = bucket.get("title", {}).get("buckets", [])
        severity = bucket.get("severity", {}).get("buckets", [])
        narratives.append(
            {
                "key": bucket["key"],
                "count": bucket["doc_count"],
                "title": title[0]["key"] if title else None,
                "severity": severity[0]["key"] if severity else None,
            }
        )
    return {
        "total": response.get("hits", {}).get("total", {}).get("value", 0),
        "narratives": narratives,
        "platforms": _buckets(aggs, "platforms"),
        "stances": _buckets(aggs, "stances"),
        "severities": _buckets(aggs, "severities"),
        "review_states": _buckets(aggs, "review_states"),
        "authors": _buckets(aggs, "authors"),
        "domains": _buckets(aggs, "domains"),
        "over_time": [
            {"key": b["key_as_string"], "count": b["doc_count"]}
            for b in aggs.get("over_time", {}).get("buckets", [])
        ],
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
    """Per-narrative totals and per-day counts over the last `days` days (empty days included)."""
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "size": 0,
        "query": {"match_all": {}},
        "aggs": {
            "narratives": {
                "terms": {"field": "narrative.id", "size": 10_000},
                "aggs": {
                    "title": {"terms": {"field": "narrative.title.keyword", "size": 1}},
                    "severity": {"terms": {"field": "narrative.severity", "size": 1}},
                    "recent": {
                        "filter": {"range": {TIME_FIELD: {"gte": _iso(start)}}},
                        "aggs": {
                            "per_day": {
                                "date_histogram": {
                                    "field": TIME_FIELD,
                                    "calendar_interval": "day",
                                    "min_doc_count": 0,
                                    "extended_bounds": {
                                        "min": _iso(start),
                                        "max": _iso(now),
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


def read_narrative_counts(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """narrative id -> {count, title, severity, last_seen, trend: [{day, count}]}."""
    out: dict[str, dict[str, Any]] = {}
    for bucket in response.get("aggregations", {}).get("narratives", {}).get("buckets", []):
        title = bucket.get("title", {}).get("buckets", [])
        severity = bucket.get("severity", {}).get("buckets", [])
        out[bucket["key"]] = {
            "count": bucket["doc_count"],
            "title": title[0]["key"] if title else None,
            "severity": severity[0]["key"] if severity else None,
            "last_seen": bucket.get("last_seen", {}).get("value_as_string"),
            "trend": [
                {"day": b["key_as_string"][:10], "count": b["doc_count"]}
                for b in bucket.get("recent", {}).get("per_day", {}).get("buckets", [])
            ],
        }
    return out


def flatten(source: dict[str, Any], keys: tuple[str, ...] = LIST_FIELDS) -> dict[str, Any]:
    """Dotted `keys` picked out of a nested ``_source`` (missing ones are None)."""
    out: dict[str, Any] = {}
    for key in keys:
        value: Any = source
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        out[key] = value
    return out


def explanation_summary(source: dict[str, Any]) -> dict[str, Any]:
    explanation = source.get("explanation") or {}
    return {
        key: explanation.get(key)
        for key in (
            "summary",
            "best_exemplar",
            "fused_score",
            "dense_score",
            "lexical_score",
            "threshold",
            "stance",
            "stance_evidence",
            "keywords_matched",
        )
    }


def read_hit(es_hit: dict[str, Any]) -> dict[str, Any]:
    """One search result in the API shape."""
    source = es_hit.get("_source", {})
    return {
        "id": source.get("id") or es_hit["_id"],
        "index": es_hit.get("_index"),
        "score": es_hit.get("_score"),
        "fields": flatten(source),
        "highlight": es_hit.get("highlight", {}),
        "explanation": explanation_summary(source),
    }
