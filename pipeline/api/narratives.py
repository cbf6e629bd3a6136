"""Pure assembly of the narratives view: the catalog's narratives joined with their hit counts
and per-day trends (plus narratives seen in hits that are no longer in the catalog)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.catalog import Catalog


def zero_trend(days: int, now: datetime) -> list[dict[str, Any]]:
    """`days` days ending today (of `now`), each with count 0."""
    start = now - timedelta(days=days - 1)
    return [
        {"day": (start + timedelta(days=i)).date().isoformat(), "count": 0} for i in range(days)
    ]


def narrative_rows(
    catalog: Catalog, counts: dict[str, dict[str, Any]], days: int, now: datetime
) -> dict[str, Any]:
    """The ``/api/narratives`` body from `catalog` and `counts` (what
    `results.read_narrative_counts` returns; not modified). Most hits first, then by id."""
    counts = dict(counts)
    rows = []
    for narrative in catalog.narratives:
        seen = counts.pop(narrative.id, None) or {"count": 0, "last_seen": None, "trend": []}
        rows.append(
            {
                "id": narrative.id,
                "title": narrative.title,
                "summary": narrative.summary,
                "severity": narrative.severity,
                "verdict": narrative.verdict,
                "status": narrative.status,
                "tags": list(narrative.tags),
                "in_catalog": True,
                "count": seen["count"],
                "last_seen": seen["last_seen"],
                "trend": seen["trend"] or zero_trend(days, now),
            }
        )
    for narrative_id, seen in sorted(counts.items()):
        rows.append(
            {
                "id": narrative_id,
                "title": seen["title"],
                "summary": "",
                "severity": seen["severity"],
                "verdict": None,
                "status": "unknown",
                "tags": [],
                "in_catalog": False,
                "count": seen["count"],
                "last_seen": seen["last_seen"],
                "trend": seen["trend"] or zero_trend(days, now),
            }
        )
    rows.sort(key=lambda r: (-r["count"], r["id"]))
    return {"catalog": catalog.name, "catalog_version": catalog.version, "narratives": rows}


def with_review_stats(body: dict[str, Any], stats: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`body` (from `narrative_rows`) with each row's ``reviews``: the narrative's review counts
    and precision (`pipeline.feedback.stats`), or None before its first review. Pure."""
    rows = [
        {**row, "reviews": _public_stats(stats[row["id"]]) if row["id"] in stats else None}
        for row in body["narratives"]
    ]
    return {**body, "narratives": rows}


def _public_stats(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("counts", "reviewed", "judged", "precision", "updated_at")
    return {key: doc.get(key) for key in keys}
