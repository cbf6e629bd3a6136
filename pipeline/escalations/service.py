"""`EscalationService`: creating, updating and listing escalations on the real Elasticsearch,
each change audited in ``{prefix}-audit`` like a review. Blocking; the HTTP API (in its thread
pool) and the CLI share this one write path.

Raises `pipeline.elastic.errors` exceptions: `ElasticNotFound` (unknown hit or escalation),
`ElasticConflict` (an update that kept racing other updates), `ElasticUnavailable`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from models.records import utc_now
from pipeline.elastic.audit import AuditLog
from pipeline.elastic.errors import ElasticConflict
from pipeline.elastic.escalations import MAX_LIST, EscalationStore
from pipeline.elastic.schema.names import hits_read_alias
from pipeline.elastic.search import locate
from pipeline.escalations import sheet
from pipeline.escalations.records import (
    Escalation,
    EscalationCreate,
    EscalationUpdate,
    apply_update,
    audit_entry,
    new_escalation,
)
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.elastic.client import Client

logger = logging.getLogger(__name__)

ATTEMPTS = 3
FILTER_FIELDS = {"hit": "hit_id", "status": "status", "platform": "platform",
                 "narrative": "narrative_id", "action": "action"}  # fmt: skip


class EscalationService:
    """Escalations of the hits behind ``hits_read_alias(settings)``."""

    def __init__(
        self,
        client: Client,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.client = client
        self.store = EscalationStore(client, settings)
        self.audit = AuditLog(client, settings)
        self.read_index = hits_read_alias(settings)
        self.clock = clock
        self.new_id = new_id

    def create(self, request: EscalationCreate, who: str, via: str = "api") -> Escalation:
        """Record a new escalation of `request.hit_id` by `who`; the audit entry's note is the
        reason. Raises `ElasticNotFound` for an unknown hit."""
        found = locate(self.client, self.read_index, request.hit_id)
        escalation = new_escalation(self.new_id(), request, found["_source"], who, self.clock())
        self.store.create(escalation)
        self.audit.append(
            {**audit_entry(None, escalation, via, request.reason), "status": "committed"}
        )
        logger.info("escalation %s of %s created by %s", escalation.id, request.hit_id, who)
        return escalation

    def update(
        self, escalation_id: str, update: EscalationUpdate, who: str, via: str = "api"
    ) -> Escalation:
        """Apply `update` by `who` (conditional on the version read, retried 3 times, then
        `ElasticConflict`) and audit it. Raises `ElasticNotFound` for an unknown id."""
        for _attempt in range(ATTEMPTS):
            before, seq_no, primary_term = self.store.get(escalation_id)
            after = apply_update(before, update, who, self.clock())
            try:
                self.store.replace(after, if_seq_no=seq_no, if_primary_term=primary_term)
                break
            except ElasticConflict:
                logger.info("update of escalation %s raced another; retrying", escalation_id)
        else:
            raise ElasticConflict(f"escalation {escalation_id!r} kept changing during the update")
        self.audit.append({**audit_entry(before, after, via, update.note), "status": "committed"})
        return after

    def find(
        self, filters: Mapping[str, Sequence[str]] | None = None, size: int = MAX_LIST
    ) -> list[Escalation]:
        """Escalations matching `filters` (keys of `FILTER_FIELDS`), newest update first."""
        fields = {FILTER_FIELDS[k]: list(v) for k, v in (filters or {}).items() if v}
        return self.store.find(fields, size)

    def summary(self, filters: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
        """`sheet.summary` of the escalations matching `filters`."""
        return sheet.summary(self.find(filters))
