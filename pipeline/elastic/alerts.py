"""Write `Spike` events to the ``{prefix}-alerts`` Elasticsearch index, idempotently.

`_id` is the spike's deterministic id (``{key}:{window_start}``), so a redelivered or replayed
spike overwrites its own document. The index is created on first write with a small explicit
mapping (keywords for ids, dates for windows) if it does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pipeline.elastic.errors import translated
from pipeline.spikes.records import Spike

if TYPE_CHECKING:
    from pipeline.elastic.client import AsyncClient

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
