"""Bulk-write hits to Elasticsearch, idempotently, and sort the outcome per hit.

Every hit is written with the search package's `pipeline.index.hit_action` (an upsert under
``_id = hit.id`` = ``{post_id}:{narrative_id}``): a hit delivered twice (at-least-once) is one
document; the second write answers ``updated``/``noop`` and counts as a duplicate, and a
reviewer's ``review`` block survives the replay.

`BulkWriter.write` never sleeps and never retries; the indexer agent owns the retry loop (see
`pipeline.elastic.errors` for which failures are transient).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from models.records import Hit
from pipeline.elastic.errors import classify_bulk_item, is_transient_exception

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

    from pipeline.settings import Settings

logger = logging.getLogger(__name__)

ActionBuilder = Callable[[Hit, str], Mapping[str, Any]]
"""``(hit, index) -> helpers-style action`` (``_op_type``, ``_index``, ``_id`` + body keys)."""


class IndexingError(Exception):
    """Base of the indexing errors."""


class TransientIndexError(IndexingError):
    """The whole bulk request failed for a reason worth retrying (connection, 429, 5xx)."""


class BulkRequestError(IndexingError):
    """The whole bulk request was refused for a reason retrying will not fix (a bug)."""


@dataclass
class BulkResult:
    """Per-hit outcome of one bulk request. Every input hit is in exactly one list."""

    created: list[Hit] = field(default_factory=list)
    duplicates: list[Hit] = field(default_factory=list)
    retry: list[tuple[Hit, str]] = field(default_factory=list)
    rejected: list[tuple[Hit, str]] = field(default_factory=list)


_META_KEYS = ("_index", "_id", "_routing")


def bulk_operations(
    hits: Sequence[Hit], index: str, action: ActionBuilder
) -> list[Mapping[str, Any]]:
    """The raw bulk body for ``hits``: per hit, the action line and its body line, translated from
    the helpers-style action. Raises `ValueError` if an action's ``_id`` is not ``hit.id``."""
    operations: list[Mapping[str, Any]] = []
    for hit in hits:
        spec = dict(action(hit, index))
        op_type = spec.pop("_op_type", "index")
        meta = {key.lstrip("_"): spec.pop(key) for key in _META_KEYS if key in spec}
        if meta.get("id") != hit.id:
            raise ValueError(f"action for {hit.id!r} has _id {meta.get('id')!r}")
        body = spec.pop("_source", spec) if op_type != "update" else spec
        operations.append({op_type: {f"_{k}": v for k, v in meta.items()}})
        operations.append(body)
    return operations


def sort_bulk_response(hits: Sequence[Hit], response: Mapping[str, Any]) -> BulkResult:
    """Split a bulk response (items in request order) into created / duplicate / retry /
    rejected. Raises `BulkRequestError` if the response does not have one item per hit."""
    items = response.get("items") or []
    if len(items) != len(hits):
        raise BulkRequestError(f"bulk response has {len(items)} items for {len(hits)} hits")
    result = BulkResult()
    for hit, item in zip(hits, items, strict=True):
        outcome, reason = classify_bulk_item(item)
        if outcome == "created":
            result.created.append(hit)
        elif outcome == "duplicate":
            result.duplicates.append(hit)
        elif outcome == "transient":
            result.retry.append((hit, reason))
        else:
            result.rejected.append((hit, reason))
    return result


class BulkWriter:
    """Writes batches of hits to one index or write alias. Safe to call concurrently."""

    def __init__(self, client: AsyncElasticsearch, index: str, action: ActionBuilder) -> None:
        self.client = client
        self.index = index
        self._action = action

    async def write(self, hits: Sequence[Hit]) -> BulkResult:
        """One bulk request for ``hits``. Raises `TransientIndexError` when the whole request
        failed transiently, `BulkRequestError` when it was refused outright."""
        if not hits:
            return BulkResult()
        operations = bulk_operations(hits, self.index, self._action)
        try:
            response = await self.client.bulk(operations=operations)
        except Exception as exc:
            if is_transient_exception(exc):
                raise TransientIndexError(f"bulk request failed: {exc!r}") from exc
            raise BulkRequestError(f"bulk request refused: {exc!r}") from exc
        body: Mapping[str, Any] = response.body
        return sort_bulk_response(hits, body)

    async def close(self) -> None:
        await self.client.close()


def make_async_client(settings: Settings) -> AsyncElasticsearch:
    """An `AsyncElasticsearch` for ``settings.elasticsearch``. Create it inside the event loop
    that will use it (its aiohttp session binds to that loop)."""
    from elasticsearch import AsyncElasticsearch

    es = settings.elasticsearch
    api_key = es.api_key.get_secret_value() if es.api_key else None
    return AsyncElasticsearch(
        es.endpoint, api_key=api_key, request_timeout=30, max_retries=0, retry_on_timeout=False
    )
