"""The review audit trail (``{prefix}-audit``): one document per review action. Blocking (the sync
client). Errors are translated (`pipeline.elastic.errors`).

A review and its audit entry never exist without each other (`pipeline.api.review_service`):

1. the entry is written FIRST, ``status: pending``, under a fresh ``audit_id``;
2. the hit's review block is written carrying that ``audit_id`` (conditional on the version read);
3. the entry is settled: ``committed``, or ``aborted`` when the write certainly did not happen.

Step 3 is best-effort, so the trail is not read from ``status`` but RECONCILED against the hit
(`reconcile`): an entry belongs to the trail when the hit's current review names it, or when an
entry of the trail names it as the review it replaced (``before.audit_id``), following the
chain back. An entry whose review never landed (Elasticsearch failed mid-review, a race lost) is
therefore never shown, whatever its status says, and every review on a hit names an entry that
was written before it. Entries written before audit ids existed (no ``audit_id``) are kept, and so
are escalation entries (an ``escalation`` block): those are written after the escalation itself
(`pipeline.escalations.service`), ``committed`` from the start, so they need no chain.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pipeline.elastic import search
from pipeline.elastic.errors import ElasticError, translated
from pipeline.elastic.schema.lifecycle import ensure_audit_index
from pipeline.elastic.schema.names import audit_index
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.elastic.client import Client

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 200
Status = Literal["pending", "committed", "aborted"]


def new_audit_id() -> str:
    return uuid.uuid4().hex


def reconcile(
    entries: Sequence[dict[str, Any]], current_audit_id: str | None
) -> list[dict[str, Any]]:
    """The entries that belong to the trail of a hit whose review names `current_audit_id`
    (see the module docstring), oldest first. Pure."""
    by_id = {e["audit_id"]: e for e in entries if e.get("audit_id")}
    chain: set[str] = set()
    cursor = current_audit_id
    while cursor and cursor in by_id and cursor not in chain:
        chain.add(cursor)
        cursor = (by_id[cursor].get("before") or {}).get("audit_id")
    kept = [
        e
        for e in entries
        if not e.get("audit_id")
        or e["audit_id"] in chain
        or ("escalation" in e and e.get("status") == "committed")
    ]
    return sorted(kept, key=lambda e: e.get("at") or "")


class AuditLog:
    """Appends, settles and reads the audit entries of hits in ``audit_index(settings)``."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.index = audit_index(settings)
        self._ready = False

    def entries(self, hit_id: str) -> list[dict[str, Any]]:
        """Every entry of `hit_id` as stored, pending and aborted ones too (oldest first, at most
        `HISTORY_LIMIT`); empty when the audit index does not exist yet."""
        response = search.search(
            self.client,
            self.index,
            query={"term": {"hit_id": hit_id}},
            sort=[{"at": "asc"}],
            size=HISTORY_LIMIT,
        )
        return [h["_source"] for h in response["hits"]["hits"]]

    def history(self, hit_id: str, current_audit_id: str | None) -> list[dict[str, Any]]:
        """The reconciled trail of `hit_id` (`reconcile`). Raises `ElasticUnavailable`."""
        return reconcile(self.entries(hit_id), current_audit_id)

    def append(self, entry: dict[str, Any], audit_id: str | None = None) -> str:
        """Store `entry` (``status: pending`` unless it says otherwise) under `audit_id` (fresh
        by default) and return the id; visible on return. Raises `ElasticUnavailable`,
        `ElasticRejected` (an entry the strict mapping refuses)."""
        audit_id = audit_id or new_audit_id()
        document = {"status": "pending", **entry, "audit_id": audit_id}
        with translated():
            if not self._ready:  # its strict mapping, not a dynamic one on first write
                ensure_audit_index(self.client, self.settings)
                self._ready = True
            self.client.index(index=self.index, id=audit_id, document=document, refresh="wait_for")
        return audit_id

    def settle(self, audit_id: str, status: Status) -> bool:
        """Mark an entry committed or aborted. Best-effort: False (logged) when Elasticsearch
        fails; the trail stays right because it is reconciled, not read from ``status``."""
        try:
            with translated():
                self.client.update(
                    index=self.index, id=audit_id, doc={"status": status}, refresh="wait_for"
                )
        except ElasticError as exc:
            logger.warning("audit entry %s left pending (wanted %s): %s", audit_id, status, exc)
            return False
        return True
