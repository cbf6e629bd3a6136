"""The review audit trail (``{prefix}-audit``): one append-only document per review action.
Blocking (the sync client). Errors are translated (`pipeline.elastic.errors`)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pipeline.elastic import search
from pipeline.elastic.errors import translated
from pipeline.elastic.schema.lifecycle import ensure_audit_index
from pipeline.elastic.schema.names import audit_index
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.elastic.client import Client

HISTORY_LIMIT = 200


class AuditLog:
    """Appends and reads the audit entries of hits in ``audit_index(settings)``."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.index = audit_index(settings)
        self._ready = False

    def history(self, hit_id: str) -> list[dict[str, Any]]:
        """The audit entries of `hit_id`, oldest first (at most `HISTORY_LIMIT`); empty when
        the audit index does not exist yet. Raises `ElasticUnavailable`."""
        response = search.search(
            self.client,
            self.index,
            query={"term": {"hit_id": hit_id}},
            sort=[{"at": "asc"}],
            size=HISTORY_LIMIT,
        )
        return [h["_source"] for h in response["hits"]["hits"]]

    def append(self, entry: dict[str, Any]) -> str:
        """Store `entry` under a fresh id and return the id; visible to `history` on return.
        Raises `ElasticUnavailable`, `ElasticRejected` (an entry the strict mapping refuses)."""
        audit_id = uuid.uuid4().hex
        with translated():
            if not self._ready:  # its strict mapping, not a dynamic one on first write
                ensure_audit_index(self.client, self.settings)
                self._ready = True
            self.client.index(index=self.index, id=audit_id, document=entry, refresh="wait_for")
        return audit_id
