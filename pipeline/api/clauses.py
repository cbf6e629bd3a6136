"""Pure translation of `HitFilters` into Elasticsearch query clauses (no request bodies, no I/O).

Safety contract: no caller-supplied JSON ever reaches Elasticsearch. Free text goes only through
``simple_query_string`` with a fixed set of operator flags (no fuzzy/slop/regex syntax) on a
whitelist of fields, and every other filter becomes a ``terms``/``range`` clause on a fixed field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.api.params import HitFilters

# Free text searches what people posted; narratives are chosen with the `narrative` filter (the
# exemplar is the same for every hit of a narrative, so searching it would match them all).
SEARCH_FIELDS = ("post.text", "post.title^2")
QUERY_FLAGS = "AND|OR|NOT|PHRASE|PREFIX|PRECEDENCE|WHITESPACE|ESCAPE"

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
    "post": "post.id",
}
TIME_FIELD = "post.created_at"
SCORE_FIELD = "scores.combined"
WITHDRAWN_FIELDS = ("deleted_at", "superseded_at")
"""Set on hits withdrawn from default searches (`pipeline.elastic.withdrawals`)."""


def withdrawn_clause(mode: str) -> dict[str, Any] | None:
    """The filter for the ``deleted`` parameter: ``exclude`` leaves withdrawn hits out (the
    default), ``only`` keeps them alone, ``include`` does not filter (None)."""
    exists = [{"exists": {"field": field}} for field in WITHDRAWN_FIELDS]
    if mode == "exclude":
        return {"bool": {"must_not": exists}}
    if mode == "only":
        return {"bool": {"should": exists, "minimum_should_match": 1}}
    return None


THREAT_FIELD = "threat.score"


def iso(value: datetime) -> str:
    """`value` as ISO 8601 with a ``Z`` suffix for UTC (what Elasticsearch dates accept)."""
    return value.isoformat().replace("+00:00", "Z")


def filter_clauses(filters: HitFilters) -> list[dict[str, Any]]:
    """The non-scoring clauses for `filters` (keyword terms, time and score ranges, withdrawn
    hits)."""
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
            bounds["gte"] = iso(filters.since)
        if filters.until:
            bounds["lte"] = iso(filters.until)
        clauses.append({"range": {TIME_FIELD: bounds}})
    if filters.min_score is not None:
        clauses.append({"range": {SCORE_FIELD: {"gte": filters.min_score}}})
    withdrawn = withdrawn_clause(filters.deleted)
    if withdrawn is not None:
        clauses.append(withdrawn)
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
