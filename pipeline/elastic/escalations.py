"""The escalations sink (``{prefix}-escalations``): one document per escalation, ``_id`` its id.
Blocking (the sync client). Errors are translated (`pipeline.elastic.errors`).

Creation uses ``op_type=create`` (an id is never overwritten); updates are conditional on the
version read (``if_seq_no``/``if_primary_term``), so two analysts updating the same escalation
never lose a change silently (`ElasticConflict`). Writes are visible to searches on return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.elastic import search
from pipeline.elastic.errors import ElasticNotFound, translated
from pipeline.elastic.schema.names import escalations_index
from pipeline.escalations.records import Escalation
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.elastic.client import Client

ESCALATIONS_MAPPING_VERSION = 1
MAX_LIST = 10_000
_KEYWORD = {"type": "keyword", "ignore_above": 512}
_DATE = {"type": "date"}
_STORED_TEXT = {"type": "text", "analyzer": "standard"}


def escalations_mappings() -> dict[str, Any]:
    """Strict: a field the code does not know is refused, never guessed."""
    return {
        "dynamic": "strict",
        "_meta": {"mapping_version": ESCALATIONS_MAPPING_VERSION},
        "properties": {
            "schema_version": {"type": "short"},
            "id": _KEYWORD,
            "hit_id": {"type": "keyword", "ignore_above": 1024},
            "post_id": _KEYWORD,
            "post_url": {"type": "keyword", "ignore_above": 2048},
            "platform": _KEYWORD,
            "narrative_id": _KEYWORD,
            "narrative_title": _KEYWORD,
            "threat_level": _KEYWORD,
            "action": _KEYWORD,
            "channel": _KEYWORD,
            "status": _KEYWORD,
            "outcome": _STORED_TEXT,
            "reason": _STORED_TEXT,
            "created_by": _KEYWORD,
            "updated_by": _KEYWORD,
            "created_at": _DATE,
            "updated_at": _DATE,
            "sent_at": _DATE,
            "resolved_at": _DATE,
        },
    }


class EscalationStore:
    """Reads and writes escalations in ``escalations_index(settings)``; the index is created
    with its strict mapping on first write."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.index = escalations_index(settings)
        self._ready = False

    def _ensure(self) -> None:
        if self._ready:
            return
        if not self.client.indices.exists(index=self.index):
            self.client.options(ignore_status=400).indices.create(
                index=self.index,
                mappings=escalations_mappings(),
                settings={"index": {"number_of_shards": 1, "number_of_replicas": 0}},
            )
        self._ready = True

    def create(self, escalation: Escalation) -> None:
        """Store a new escalation. Raises `ElasticConflict` if its id exists,
        `ElasticUnavailable`, `ElasticRejected`."""
        with translated():
            self._ensure()
            self.client.create(
                index=self.index,
                id=escalation.id,
                document=escalation.model_dump(mode="json"),
                refresh="wait_for",
            )

    def get(self, escalation_id: str) -> tuple[Escalation, int, int]:
        """(escalation, seq_no, primary_term). Raises `ElasticNotFound`, `ElasticUnavailable`."""
        response = search.search(
            self.client,
            self.index,
            query={"ids": {"values": [escalation_id]}},
            size=1,
            seq_no_primary_term=True,
        )
        found = response["hits"]["hits"]
        if not found:
            raise ElasticNotFound(f"no escalation with id {escalation_id!r}")
        doc = found[0]
        return Escalation.model_validate(doc["_source"]), doc["_seq_no"], doc["_primary_term"]

    def replace(self, escalation: Escalation, *, if_seq_no: int, if_primary_term: int) -> None:
        """Overwrite an escalation still at the version read. Raises `ElasticConflict` when it
        changed since, `ElasticUnavailable`, `ElasticRejected`."""
        with translated():
            self.client.index(
                index=self.index,
                id=escalation.id,
                document=escalation.model_dump(mode="json"),
                if_seq_no=if_seq_no,
                if_primary_term=if_primary_term,
                refresh="wait_for",
            )

    def find(self, filters: dict[str, list[str]], size: int = MAX_LIST) -> list[Escalation]:
        """Escalations whose keyword fields match `filters` (field -> allowed values; the
        fields are the caller's fixed set), newest update first. Empty before the first
        escalation. Raises `ElasticUnavailable`."""
        clauses = [{"terms": {field: values}} for field, values in filters.items() if values]
        response = search.search(
            self.client,
            self.index,
            query={"bool": {"filter": clauses}},
            sort=[{"updated_at": "desc"}, {"id": "asc"}],
            size=min(size, MAX_LIST),
        )
        return [Escalation.model_validate(h["_source"]) for h in response["hits"]["hits"]]
