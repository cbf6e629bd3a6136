"""`ReviewService`: labelling a hit, its audit trail and the review event, on the real
Elasticsearch and Kafka. Blocking. `HitService` delegates its ``review`` and ``history`` here, so
the HTTP API and the CLI share this one write path.

Raises `ReviewConflictError` and the `pipeline.elastic.errors` ones (`ElasticNotFound`,
`ElasticUnavailable`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pipeline.api.errors import ReviewConflictError
from pipeline.api.reviews import ReviewEvent, ReviewPublisher, audit_entry, review_block
from pipeline.elastic.audit import AuditLog, new_audit_id
from pipeline.elastic.errors import ElasticConflict
from pipeline.elastic.hits import review_of, set_review
from pipeline.elastic.schema.names import hits_read_alias
from pipeline.elastic.search import locate
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.elastic.client import Client

logger = logging.getLogger(__name__)

ATTEMPTS = 3


class ReviewService:
    """Reviews of the hits behind ``hits_read_alias(settings)``, audited in
    ``audit_index(settings)`` and published with `publisher` (None: not published)."""

    def __init__(
        self, client: Client, settings: Settings, publisher: ReviewPublisher | None = None
    ) -> None:
        self.client = client
        self.settings = settings
        self.publisher = publisher
        self.read_index = hits_read_alias(settings)
        self.audit = AuditLog(client, settings)
        self.audit_index = self.audit.index

    def history(self, hit_id: str, current: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The audit trail of `hit_id`, oldest first, reconciled against the hit's review
        (`current`, read when not given; see `pipeline.elastic.audit`)."""
        if current is None:
            current = review_of(locate(self.client, self.read_index, hit_id)["_source"])
        return self.audit.history(hit_id, current.get("audit_id"))

    def review(
        self, hit_id: str, label: str, note: str | None, reviewer: str, via: str = "api"
    ) -> dict[str, Any]:
        """Set the review of `hit_id` with its audit entry, then publish the `ReviewEvent`.

        The audit entry is written first (pending), then the hit's review naming it, conditional
        on the version read (optimistic concurrency, so the entry's ``before`` is exactly what
        was replaced), then the entry is settled; see `pipeline.elastic.audit` for why neither
        can exist without the other. A lost race is retried 3 times, then
        `ReviewConflictError`. The event is published after Elasticsearch accepted the review;
        if Kafka fails the review stands and ``published`` is False (logged)."""
        for _attempt in range(ATTEMPTS):
            found = locate(self.client, self.read_index, hit_id)
            before = review_of(found["_source"])
            now = datetime.now(UTC)
            audit_id = new_audit_id()
            after = review_block(label, reviewer, now, note, audit_id)
            entry = audit_entry(
                hit_id, found["_index"], found["_source"], before=before, after=after, via=via
            )
            self.audit.append(entry, audit_id)
            try:
                set_review(
                    self.client,
                    found["_index"],
                    hit_id,
                    after,
                    if_seq_no=found["_seq_no"],
                    if_primary_term=found["_primary_term"],
                )
            except ElasticConflict:
                self.audit.settle(audit_id, "aborted")
                logger.info("review of %s raced another write; retrying", hit_id)
                continue
            self.audit.settle(audit_id, "committed")
            break
        else:
            raise ReviewConflictError(f"hit {hit_id!r} kept changing during review")
        published = self._publish(
            source=found["_source"], hit_id=hit_id, label=label, before=before, after=after, at=now
        )
        return {
            "hit_id": hit_id,
            "review": after,
            "previous": before,
            "audit_id": audit_id,
            "published": published,
        }

    def _publish(
        self,
        *,
        source: dict[str, Any],
        hit_id: str,
        label: str,
        before: dict[str, Any],
        after: dict[str, Any],
        at: datetime,
    ) -> bool:
        if self.publisher is None:
            return False
        event = ReviewEvent(
            hit_id=hit_id,
            narrative_id=(source.get("narrative") or {}).get("id"),
            post_id=(source.get("post") or {}).get("id"),
            label=label,
            previous_state=before["state"],
            reviewer=after["reviewer"],
            note=after["note"],
            reviewed_at=at,
        )
        try:
            self.publisher.publish(event)
        except Exception:
            logger.exception("review of %s stored but not published to Kafka", hit_id)
            return False
        return True
