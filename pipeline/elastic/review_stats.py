"""Review statistics per narrative (``{prefix}-narrative-reviews``, one document per narrative,
id = narrative id), recomputed from the hits index (`pipeline.feedback`). The async writer is the
worker's (`ReviewStatsWriter`); `read_review_stats` is the API's (sync). Errors are translated
(`pipeline.elastic.errors`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pipeline.elastic import search
from pipeline.elastic.errors import translated
from pipeline.elastic.schema.names import hits_read_alias, prefix
from pipeline.feedback.stats import LABELS, review_stats
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.elastic.client import AsyncClient, Client

_KEYWORD = {"type": "keyword"}
_COUNT = {"type": "integer"}
STATS_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "narrative_id": _KEYWORD,
        "counts": {"properties": {label: _COUNT for label in LABELS}},
        "reviewed": _COUNT,
        "judged": _COUNT,
        "precision": {"type": "float"},
        "updated_at": {"type": "date"},
    },
}


def review_stats_index(settings: Settings) -> str:
    return f"{prefix(settings)}-narrative-reviews"


def counts_body(narrative_ids: Sequence[str]) -> dict[str, Any]:
    """Search body: reviewed hits of `narrative_ids`, bucketed by narrative and label. Pure."""
    return {
        "size": 0,
        "query": {
            "bool": {
                "filter": [
                    {"terms": {"narrative.id": list(narrative_ids)}},
                    {"terms": {"review.state": list(LABELS)}},
                ]
            }
        },
        "aggs": {
            "narratives": {
                "terms": {"field": "narrative.id", "size": max(len(narrative_ids), 1)},
                "aggs": {"labels": {"terms": {"field": "review.state", "size": len(LABELS)}}},
            }
        },
    }


def read_counts(
    response: dict[str, Any], narrative_ids: Iterable[str]
) -> dict[str, dict[str, int]]:
    """Counts per label for each of `narrative_ids` (zeros when none reviewed). Pure."""
    out: dict[str, dict[str, int]] = {nid: {} for nid in narrative_ids}
    for bucket in response.get("aggregations", {}).get("narratives", {}).get("buckets", []):
        labels = bucket["labels"]["buckets"]
        out[str(bucket["key"])] = {str(b["key"]): int(b["doc_count"]) for b in labels}
    return out


class ReviewStatsWriter:
    """Recomputes and stores the stats documents of narratives (async client)."""

    def __init__(self, client: AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.index = review_stats_index(settings)
        self.hits = hits_read_alias(settings)
        self._ready = False

    async def recompute(self, narrative_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Refresh the hits, count the reviewed hits of `narrative_ids`, overwrite their
        documents; returns them. Idempotent. Raises `ElasticUnavailable` (retried by the runner),
        `ElasticRejected`."""
        if not narrative_ids:
            return []
        with translated():
            if not self._ready:
                exists = await self.client.indices.exists(index=self.index)
                if not exists:
                    await self.client.options(ignore_status=400).indices.create(
                        index=self.index, mappings=STATS_MAPPINGS
                    )
                self._ready = True
            # The review service refreshes on write; this makes a late reader safe too.
            await self.client.options(ignore_status=404).indices.refresh(index=self.hits)
            response = await self.client.search(
                index=self.hits, ignore_unavailable=True, allow_no_indices=True,
                **counts_body(narrative_ids),
            )  # fmt: skip
            now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            docs = [
                review_stats(nid, counts, now)
                for nid, counts in read_counts(dict(response), narrative_ids).items()
            ]
            operations: list[dict[str, Any]] = []
            for doc in docs:
                operations += [{"index": {"_index": self.index, "_id": doc["narrative_id"]}}, doc]
            await self.client.bulk(operations=operations, refresh="wait_for")
        return docs


def read_review_stats(client: Client, settings: Settings) -> dict[str, dict[str, Any]]:
    """Every narrative's stats document by narrative id (empty before the first review).
    Raises `ElasticUnavailable`."""
    response = search.search(client, review_stats_index(settings), size=10_000)
    return {h["_id"]: h["_source"] for h in response["hits"]["hits"]}


def count_reviews(
    client: Client, settings: Settings, narrative_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """The same counts `ReviewStatsWriter` stores, computed now (sync; `narrmon catalog
    suggest`)."""
    response = search.search(client, hits_read_alias(settings), **counts_body(narrative_ids))
    return read_counts(response, narrative_ids)


def reviewed_hits(
    client: Client, settings: Settings, narrative_id: str, size: int = 500
) -> list[dict[str, Any]]:
    """The judged hits of one narrative (newest review first): ``text``, ``label``, ``score``
    (the fused score). Raises `ElasticUnavailable`."""
    response = search.search(
        client,
        hits_read_alias(settings),
        query={
            "bool": {
                "filter": [
                    {"term": {"narrative.id": narrative_id}},
                    {"terms": {"review.state": list(LABELS)}},
                ]
            }
        },
        sort=[{"review.reviewed_at": "desc"}],
        size=size,
        source=["post.text", "review.state", "scores.combined"],
    )
    out = []
    for hit in response["hits"]["hits"]:
        src = hit["_source"]
        out.append(
            {
                "text": (src.get("post") or {}).get("text") or "",
                "label": (src.get("review") or {}).get("state"),
                "score": float((src.get("scores") or {}).get("combined") or 0.0),
            }
        )
    return out
