"""Withdrawing hits: marking the hits of a deleted post ``deleted_at`` and the stale hits of an
edited post ``superseded_at``. Withdrawn hits stay in the index (the audit trail, reviews
included); the analyst API hides them unless asked (`pipeline.api.clauses`, ``deleted``).

No scripts and no ``_update_by_query`` (the smallest supported cluster, the integ-test-zip build,
has neither): the index is refreshed (so hits written in the last second are seen), the hits of
the posts are searched (``_id``, ``_index``, ``post.id``, paged by hit id), and each is updated with
a partial document in one bulk request per page, addressed to its own backing index. Updates are
idempotent, so a batch retried after a failure writes the same values again.

Which hits a withdrawal covers (`withdrawal_query`):

- ``deleted``: every hit of the post not already deleted. A deletion is final: hit writes never
  carry ``deleted_at`` (`pipeline.elastic.hits.hit_document`), so a redelivered hit stays deleted.
- ``superseded``: the hits of the post whose ``post.ingested_at`` is before ``ingested_before``
  (the edit event's ``ingested_at``, which live sources set to the edited post's own
  ``ingested_at``): hits still carrying the text from before the edit. Every hit the matcher
  writes sets ``superseded_at`` back to null, so it does not matter which arrives first: a
  re-match of the new text writes the hits it still matches with a current ``post.ingested_at``
  (never covered) and clears a mark set before it got there; the narratives it no longer matches
  keep the old text and stay superseded.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pipeline.elastic.errors import ElasticUnavailable, classify_bulk_item, translated

if TYPE_CHECKING:
    from pipeline.elastic.client import AsyncClient

logger = logging.getLogger(__name__)

Reason = Literal["deleted", "superseded"]
FIELDS: dict[Reason, str] = {"deleted": "deleted_at", "superseded": "superseded_at"}
CHUNK = 200
"""Withdrawals per query (keeps each query small)."""


@dataclass(frozen=True)
class Withdrawal:
    """Withdraw the hits of `post_id`, writing `at` into ``deleted_at`` / ``superseded_at``;
    ``superseded`` covers only hits whose post was ingested before `ingested_before`."""

    post_id: str
    reason: Reason
    at: datetime
    ingested_before: datetime | None = None


@dataclass
class WithdrawalResult:
    marked: Counter[str] = field(default_factory=Counter)
    """Hits marked, by reason."""
    failed: list[str] = field(default_factory=list)
    """Hit ids Elasticsearch refused for good (e.g. removed meanwhile); logged, not retried."""


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def withdrawal_query(withdrawals: Sequence[Withdrawal]) -> dict[str, Any]:
    """The query for the hits `withdrawals` cover (see the module docstring). Pure."""
    deleted = sorted({w.post_id for w in withdrawals if w.reason == "deleted"})
    should: list[dict[str, Any]] = [{"terms": {"post.id": deleted}}] if deleted else []
    for w in withdrawals:
        if w.reason == "superseded":
            clauses: list[dict[str, Any]] = [{"term": {"post.id": w.post_id}}]
            if w.ingested_before is not None:
                clauses.append({"range": {"post.ingested_at": {"lt": iso(w.ingested_before)}}})
            should.append({"bool": {"filter": clauses}})
    return {
        "bool": {
            "should": should,
            "minimum_should_match": 1,
            "must_not": [{"exists": {"field": "deleted_at"}}],
        }
    }


def withdrawal_operations(
    found: Sequence[Mapping[str, Any]], withdrawals: Sequence[Withdrawal]
) -> tuple[list[dict[str, Any]], list[Reason]]:
    """Bulk ``update`` operations for the search hits `found` (each with ``_index``, ``_id`` and
    ``_source.post.id``) and the reason of each update, in order. A hit of a post with no
    withdrawal is skipped. Pure."""
    by_post = {w.post_id: w for w in withdrawals}
    operations: list[dict[str, Any]] = []
    reasons: list[Reason] = []
    for es_hit in found:
        post_id = ((es_hit.get("_source") or {}).get("post") or {}).get("id")
        w = by_post.get(post_id) if isinstance(post_id, str) else None
        if w is None:
            continue
        operations.append({"update": {"_index": es_hit["_index"], "_id": es_hit["_id"]}})
        operations.append({"doc": {FIELDS[w.reason]: iso(w.at)}})
        reasons.append(w.reason)
    return operations, reasons


class WithdrawalSink:
    """Applies withdrawals to the hits behind `read_alias` through an async client it owns."""

    def __init__(self, client: AsyncClient, read_alias: str, page: int = 1_000) -> None:
        self.client = client
        self.read_alias = read_alias
        self.page = page

    async def apply(self, withdrawals: Sequence[Withdrawal]) -> WithdrawalResult:
        """Mark every hit `withdrawals` cover; returns the counts. Raises `ElasticUnavailable`
        when the cluster is unreachable or refused some update transiently (retry the same
        withdrawals later) and `ElasticRejected` when it refused a request outright."""
        result = WithdrawalResult()
        if not withdrawals:
            return result
        with translated():
            await self.client.indices.refresh(
                index=self.read_alias, ignore_unavailable=True, allow_no_indices=True
            )
        for start in range(0, len(withdrawals), CHUNK):
            chunk = withdrawals[start : start + CHUNK]
            after: list[Any] | None = None
            while True:
                with translated():
                    response = await self.client.search(
                        index=self.read_alias,
                        query=withdrawal_query(chunk),
                        sort=[{"id": "asc"}],
                        size=self.page,
                        source_includes=["post.id"],
                        search_after=after,
                        ignore_unavailable=True,
                        allow_no_indices=True,
                    )
                found = response.body["hits"]["hits"]
                await self._update(found, chunk, result)
                if len(found) < self.page:
                    break
                after = found[-1]["sort"]
        return result

    async def _update(
        self,
        found: Sequence[Mapping[str, Any]],
        withdrawals: Sequence[Withdrawal],
        result: WithdrawalResult,
    ) -> None:
        operations, reasons = withdrawal_operations(found, withdrawals)
        if not operations:
            return
        with translated():
            response = await self.client.bulk(operations=operations)
        items = response.body.get("items") or []
        transient: list[str] = []
        for op, reason, item in zip(operations[::2], reasons, items, strict=False):
            outcome, why = classify_bulk_item(item)
            hit_id = str(op["update"]["_id"])
            if outcome in ("created", "duplicate"):
                result.marked[reason] += 1
            elif outcome == "transient":
                transient.append(f"{hit_id}: {why}")
            else:
                logger.warning("hit %s not marked %s: %s", hit_id, reason, why)
                result.failed.append(hit_id)
        if transient:
            raise ElasticUnavailable(f"{len(transient)} hits not marked: {transient[0]}")

    async def close(self) -> None:
        await self.client.close()
