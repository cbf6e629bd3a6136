"""What `narrmon demo` reports from the index: hits per narrative with their stance mix, and
post -> indexed latencies with their percentiles. Blocking reads through the background client."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from pipeline.settings import Settings


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100, linear interpolation); None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    index = min(98, max(0, round(q) - 1))
    return cuts[index]


def index_summary(settings: Settings, alias: str) -> dict[str, Any]:
    """Hits per narrative with stance mix, and end-to-end latencies, read from the index."""
    from pipeline.elastic.client import BACKGROUND, make_client
    from pipeline.elastic.search import scan

    client = make_client(settings, BACKGROUND)
    try:
        narratives: dict[str, Counter[str]] = defaultdict(Counter)
        titles: dict[str, str] = {}
        latencies: list[float] = []
        ids: set[str] = set()
        docs = 0
        for doc in scan(
            client,
            alias,
            ["narrative.id", "narrative.title", "stance", "post.ingested_at", "indexed_at"],
        ):
            docs += 1
            ids.add(doc["_id"])
            src = doc["_source"]
            nid = src["narrative"]["id"]
            titles[nid] = src["narrative"]["title"]
            narratives[nid][src.get("stance") or "unknown"] += 1
            start = datetime.fromisoformat(src["post"]["ingested_at"])
            end = datetime.fromisoformat(src["indexed_at"])
            latencies.append(max(0.0, (end - start).total_seconds()))
    finally:
        client.close()
    return {
        "documents": docs,
        "distinct_ids": len(ids),
        "narratives": {
            nid: {"title": titles[nid], "hits": sum(c.values()), "stance": dict(c)}
            for nid, c in sorted(narratives.items(), key=lambda kv: -sum(kv[1].values()))
        },
        "latencies": latencies,
    }
