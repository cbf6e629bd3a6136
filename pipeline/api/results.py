"""Pure readers of Elasticsearch responses: search hits, aggregations and narrative counts in the
API's shape (the request bodies are in `pipeline.api.queries`)."""

from __future__ import annotations

from typing import Any

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
    # reach, last so the CSV export's earlier columns keep their positions
    "post.author.followers",
    "post.engagement.likes",
    "post.engagement.reposts",
    "post.engagement.views",
    # withdrawn hits (shown with deleted=include|only), after reach for the same reason
    "deleted_at",
    "superseded_at",
    # the triage queue's threat level (`models.threat`), after the reach columns
    "threat.level",
    "threat.score",
)


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
