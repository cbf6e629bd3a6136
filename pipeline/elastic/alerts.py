"""Write `Spike` events to the ``{prefix}-alerts`` Elasticsearch index, idempotently, and read
them back for the analyst API (`SpikeReader`).

`_id` is the spike's deterministic id (``{key}:{window_start}``), so a redelivered or replayed
spike overwrites its own document. The index is created on first write with a small explicit
mapping (keywords for ids, dates for windows) if it does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipeline.elastic import search
from pipeline.elastic.errors import translated
from pipeline.elastic.schema.names import alerts_index
from pipeline.settings import Settings
from pipeline.spikes.records import Spike

if TYPE_CHECKING:
    from pipeline.elastic.client import AsyncClient, Client

logger = logging.getLogger(__name__)

SpikeWriter = Callable[[Spike], Awaitable[None]]
"""What the spike agent calls to index one spike (`register`'s ``index_writer``)."""

ALERTS_MAPPINGS: dict[str, Any] = {
    "dynamic": True,
    "properties": {
        "id": {"type": "keyword"},
        "narrative_id": {"type": "keyword"},
        "narrative_title": {"type": "text"},
        "severity": {"type": "keyword"},
        "platform": {"type": "keyword"},
        "window_start": {"type": "date"},
        "window_end": {"type": "date"},
        "detected_at": {"type": "date"},
        "count": {"type": "integer"},
        "distinct_authors": {"type": "integer"},
        "baseline": {"type": "float"},
        "z": {"type": "float"},
    },
}


def spike_document(spike: Spike) -> dict[str, Any]:
    """The stored document: the spike as JSON, with ``kind: spike`` for mixed alert indices."""
    document: dict[str, Any] = spike.model_dump(mode="json")
    document["kind"] = "spike"
    return document


def make_index_writer(client: AsyncClient, index: str) -> SpikeWriter:
    """A `SpikeWriter` over an async client. Creates `index` on first use (ignoring a race with
    another worker). Raises `pipeline.elastic.errors.ElasticError`s; the caller logs and carries
    on (the spike event itself is on its topic already)."""
    created = False

    async def write(spike: Spike) -> None:
        nonlocal created
        with translated():
            if not created:
                if not await client.indices.exists(index=index):
                    await client.options(ignore_status=400).indices.create(
                        index=index, mappings=ALERTS_MAPPINGS
                    )
                created = True
            await client.index(index=index, id=spike.id, document=spike_document(spike))
        logger.info("indexed spike %s into %s", spike.id, index)

    return write


class SpikeReader:
    """Reads spike documents from ``alerts_index(settings)`` (blocking, sync client)."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.index = alerts_index(settings)

    def recent(
        self, *, since: datetime | None, narratives: Sequence[str], size: int
    ) -> list[dict[str, Any]]:
        """Spike documents, newest window first; empty before the first spike. Raises
        `ElasticUnavailable`."""
        clauses: list[dict[str, Any]] = [{"term": {"kind": "spike"}}]
        if since is not None:
            clauses.append({"range": {"window_start": {"gte": since.isoformat()}}})
        if narratives:
            clauses.append({"terms": {"narrative_id": list(narratives)}})
        response = search.search(
            self.client,
            self.index,
            query={"bool": {"filter": clauses}},
            sort=[{"window_start": "desc"}, {"detected_at": "desc"}],
            size=size,
        )
        return [dict(h["_source"]) for h in response["hits"]["hits"]]
