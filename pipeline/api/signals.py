"""`SignalService`: the reads behind ``/api/coordination`` and ``/api/emerging`` and the draft
action. Blocking (the sync Elasticsearch client; FastAPI runs it in its thread pool). Raises
the translated errors of `pipeline.elastic.errors` (`ElasticNotFound`: 404,
`ElasticUnavailable`: 503).

Coordination and hits are joined at read time (the worker writes them separately, see
`pipeline.signals.coordination`): `groups_of_post` finds the groups whose ``post_ids`` hold a
post, for ``/api/coordination?post_id=`` and for the hit detail (``coordination``: group id,
size). A group lists its first ``signals.coordination.max_post_ids`` posts only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.elastic import signals as elastic
from pipeline.elastic.schema.names import coordination_index, emerging_index
from pipeline.settings import Settings
from pipeline.signals.records import EmergingCandidateRecord

if TYPE_CHECKING:
    from pipeline.elastic.client import Client


class SignalService:
    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.coordination_index = coordination_index(settings)
        self.emerging_index = emerging_index(settings)

    def coordination(self, size: int, post_id: str | None = None) -> dict[str, Any]:
        """The latest coordination groups (newest detection first), or those holding `post_id`."""
        term = ("post_ids", post_id) if post_id else None
        groups = elastic.recent(self.client, self.coordination_index, size=size, term=term)
        return {"groups": groups}

    def groups_of_post(self, post_id: str) -> list[dict[str, Any]]:
        """``{group_id, size}`` of each group that holds `post_id`."""
        groups = self.coordination(size=10, post_id=post_id)["groups"]
        return [{"group_id": g["group_id"], "size": g["size"]} for g in groups]

    def emerging(self, size: int) -> dict[str, Any]:
        """The latest emerging-narrative candidates, newest round first."""
        return {"candidates": elastic.recent(self.client, self.emerging_index, size=size)}

    def draft(self, candidate_id: str) -> str:
        """The draft catalog YAML of candidate `candidate_id` (`models.signals.drafts`)."""
        from models.signals.drafts import to_draft_narrative

        source = elastic.document(self.client, self.emerging_index, candidate_id)
        record = EmergingCandidateRecord.model_validate(source)
        return to_draft_narrative(record.candidate())
