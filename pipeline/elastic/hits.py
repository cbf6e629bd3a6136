"""The hits sink: hit documents, idempotent bulk writes, and the outcome of each write.

Document: ``Hit.model_dump(mode="json")`` plus derived fields, ``domain`` (from ``post.url``),
``indexed_at`` and ``superseded_at: null`` (a hit written by the matcher matches its post's
current text, so it is no longer superseded by an edit; see `pipeline.elastic.withdrawals`).
``review`` belongs to reviewers and ``deleted_at`` to post deletions: neither is ever part of
`hit_document`, so a redelivered hit keeps both.

Write: one bulk ``update`` per hit under ``_id = hit.id`` (``{post_id}:{narrative_id}``) with the
document as ``doc`` and, for a new hit, ``upsert`` = document + an unreviewed ``review``. A hit
delivered twice (at-least-once) is one document: the second write answers ``updated``/``noop``
and counts as a duplicate, and a reviewer's ``review`` survives the replay.

`HitSink.write` never sleeps and never retries: the batch runner owns retrying (with backoff) the
hits in ``BulkResult.retry`` and the whole batch on `ElasticUnavailable`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from models.records import Hit
from pipeline.elastic.errors import ElasticRejected, classify_bulk_item, translated

if TYPE_CHECKING:
    from pipeline.elastic.client import AsyncClient, Client

logger = logging.getLogger(__name__)

DERIVED_FIELDS = ("domain", "indexed_at", "review", "deleted_at", "superseded_at")
_HOST = re.compile(r"^[a-z0-9.\-_\[\]:]+$")


def domain_of(url: str | None) -> str | None:
    """The lower-cased host of `url` without a leading ``www.``; None when there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    if not _HOST.match(host):
        return None
    return host.removeprefix("www.") or None


def hit_document(hit: Hit, indexed_at: datetime | None = None) -> dict[str, Any]:
    """The ``_source`` for `hit` (without ``review``; see the module docstring)."""
    doc = hit.model_dump(mode="json")
    doc["domain"] = domain_of(hit.post.url)
    when = indexed_at or datetime.now(UTC)
    doc["indexed_at"] = when.astimezone(UTC).isoformat().replace("+00:00", "Z")
    doc["superseded_at"] = None
    return doc


def unreviewed() -> dict[str, Any]:
    return {"state": "unreviewed", "reviewer": None, "reviewed_at": None, "note": None}


def hit_from_document(source: dict[str, Any]) -> Hit:
    """Rebuild the `Hit` from a hits-index ``_source`` (derived fields are dropped)."""
    return Hit.model_validate({k: v for k, v in source.items() if k not in DERIVED_FIELDS})


def review_of(source: dict[str, Any]) -> dict[str, Any]:
    """The review block of a document, defaulting to unreviewed for documents without one."""
    review = source.get("review") or {}
    return {**unreviewed(), **review}


def bulk_operations(
    hits: Sequence[Hit], index: str, indexed_at: datetime | None = None
) -> list[dict[str, Any]]:
    """The bulk request body for `hits` (for ``client.bulk(operations=...)``): per hit, the
    ``update`` action line under its deterministic id and the upsert body line. Pure."""
    operations: list[dict[str, Any]] = []
    for hit in hits:
        doc = hit_document(hit, indexed_at)
        operations.append({"update": {"_index": index, "_id": hit.id}})
        operations.append({"doc": doc, "upsert": {**doc, "review": unreviewed()}})
    return operations


@dataclass
class BulkResult:
    """Per-hit outcome of one bulk request. Every input hit is in exactly one list."""

    created: list[Hit] = field(default_factory=list)
    duplicates: list[Hit] = field(default_factory=list)
    retry: list[tuple[Hit, str]] = field(default_factory=list)
    rejected: list[tuple[Hit, str]] = field(default_factory=list)


def sort_bulk_response(hits: Sequence[Hit], response: Mapping[str, Any]) -> BulkResult:
    """Split a bulk response (items in request order) into created / duplicate / retry /
    rejected. Raises `ElasticRejected` if the response does not have one item per hit."""
    items = response.get("items") or []
    if len(items) != len(hits):
        raise ElasticRejected(f"bulk response has {len(items)} items for {len(hits)} hits")
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


class HitSink:
    """Writes batches of hits to one index or write alias through an async client it owns.
    Safe to call concurrently."""

    def __init__(self, client: AsyncClient, index: str) -> None:
        self.client = client
        self.index = index

    async def write(self, hits: Sequence[Hit]) -> BulkResult:
        """One bulk request for `hits`; returns where each hit ended up. Raises
        `ElasticUnavailable` when the whole request failed transiently (nothing to blame on
        the hits) and `ElasticRejected` when it was refused outright."""
        if not hits:
            return BulkResult()
        with translated():
            response = await self.client.bulk(operations=bulk_operations(hits, self.index))
        body: Mapping[str, Any] = response.body
        return sort_bulk_response(hits, body)

    async def close(self) -> None:
        await self.client.close()


def set_review(
    client: Client,
    index: str,
    hit_id: str,
    review: dict[str, Any],
    *,
    if_seq_no: int,
    if_primary_term: int,
) -> None:
    """Replace the ``review`` of one hit document if it is still at the version read (optimistic
    concurrency); visible to searches on return. Blocking. Raises `ElasticConflict` when the
    document changed since, `ElasticUnavailable`, `ElasticRejected`."""
    with translated():
        client.update(
            index=index,
            id=hit_id,
            doc={"review": review},
            if_seq_no=if_seq_no,
            if_primary_term=if_primary_term,
            refresh="wait_for",
        )
