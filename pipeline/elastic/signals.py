"""The signals' indices: coordination groups (``P-coordination``) and emerging-narrative
candidates (``P-emerging``). Writes (`SignalSink`, async, the worker) and reads (sync, the
analyst API).

Each document is a `pipeline.signals.records` record as JSON under ``_id`` = its group or
candidate id, written with ``index`` (a later state of the same group replaces the earlier one;
a redelivered record rewrites the same document). The index is created on first write with its
explicit mapping (``dynamic: false``); a race with another worker creating it is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pipeline.elastic.errors import (
    ElasticNotFound,
    ElasticRejected,
    ElasticUnavailable,
    classify_bulk_item,
    translated,
)
from pipeline.elastic.search import search

if TYPE_CHECKING:
    from pipeline.elastic.client import AsyncClient, Client

logger = logging.getLogger(__name__)

_KEYWORD = {"type": "keyword", "ignore_above": 512}
_DATE = {"type": "date"}
_STORED_TEXT = {"type": "text", "analyzer": "standard", "index": False}

COORDINATION_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "group_id": _KEYWORD,
        "size": {"type": "integer"},
        "posts": {"type": "integer"},
        "accounts": _KEYWORD,
        "post_ids": _KEYWORD,
        "first_at": _DATE,
        "last_at": _DATE,
        "span_s": {"type": "float"},
        "similarity": {"type": "float"},
        "example_text": {"type": "text", "analyzer": "standard"},
        "detected_at": _DATE,
    },
}
EMERGING_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "candidate_id": _KEYWORD,
        "size": {"type": "integer"},
        "authors": {"type": "integer"},
        "platforms": _KEYWORD,
        "recent": {"type": "integer"},
        "growth": {"type": "float"},
        "top_terms": _KEYWORD,
        "representatives": {"type": "object", "enabled": False},
        "post_ids": _KEYWORD,
        "first_at": _DATE,
        "last_at": _DATE,
        "detected_at": _DATE,
    },
}


class SignalSink:
    """Writes documents to one signal index through an async client it owns."""

    def __init__(self, client: AsyncClient, index: str, mappings: Mapping[str, Any]) -> None:
        self.client = client
        self.index = index
        self.mappings = dict(mappings)
        self._created = False

    async def write(self, documents: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Index ``(id, document)`` pairs with one bulk request. Raises `ElasticUnavailable`
        when the request or any item failed transiently (write them all again later) and
        `ElasticRejected` when an item was refused for good (a bug in the mapping)."""
        if not documents:
            return
        with translated():
            if not self._created:
                if not await self.client.indices.exists(index=self.index):
                    await self.client.options(ignore_status=400).indices.create(
                        index=self.index, mappings=self.mappings
                    )
                self._created = True
            operations: list[dict[str, Any]] = []
            for doc_id, document in documents:
                operations += [{"index": {"_index": self.index, "_id": doc_id}}, document]
            response = await self.client.bulk(operations=operations)
        for item in response.body.get("items") or []:
            outcome, reason = classify_bulk_item(item)
            if outcome == "transient":
                raise ElasticUnavailable(f"{self.index}: {reason}")
            if outcome == "permanent":
                raise ElasticRejected(f"{self.index}: {reason}")

    async def close(self) -> None:
        await self.client.close()


def recent(
    client: Client, index: str, *, size: int, term: tuple[str, str] | None = None
) -> list[dict[str, Any]]:
    """The `size` latest documents of `index` (by ``detected_at``), optionally those whose
    field ``term[0]`` holds ``term[1]``. A missing index reads as empty. Blocking; raises
    `ElasticUnavailable`, `ElasticRejected`."""
    query: dict[str, Any] = {"term": {term[0]: term[1]}} if term else {"match_all": {}}
    response = search(
        client, index, query=query, size=size, sort=[{"detected_at": {"order": "desc"}}]
    )
    return [dict(h["_source"]) for h in response["hits"]["hits"]]


def document(client: Client, index: str, doc_id: str) -> dict[str, Any]:
    """The document `doc_id` of `index`. Raises `ElasticNotFound` (also for a missing index),
    `ElasticUnavailable`."""
    response = search(client, index, query={"ids": {"values": [doc_id]}}, size=1)
    found = response["hits"]["hits"]
    if not found:
        raise ElasticNotFound(f"no document {doc_id!r} in {index}")
    return dict(found[0]["_source"])
