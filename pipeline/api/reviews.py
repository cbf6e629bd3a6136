"""Reviews: the pure audit entry / event builders and the Kafka publisher of review events.

A review sets a hit's ``review`` block (state, reviewer, reviewed_at, note), appends one audit
entry to ``{prefix}-audit`` and publishes a `ReviewEvent` to the ``reviews`` topic (key: hit id)
so downstream consumers (e.g. threshold tuning, spike suppression) learn about false positives.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Protocol, get_args

from pydantic import BaseModel, ConfigDict

logger = logging.getLogger(__name__)

ReviewLabel = Literal["confirmed", "false_positive", "needs_context", "correct_no_action"]
"""What a reviewer can say about a hit; ``correct_no_action``: the match is right but nothing
needs doing (typically a post that debunks the narrative). Same values as
`pipeline.elastic.schema.mapping.REVIEW_LABELS` (a unit test keeps them equal)."""
REVIEW_LABELS: tuple[str, ...] = get_args(ReviewLabel)


class ReviewEvent(BaseModel):
    """What goes to the ``reviews`` topic (JSON), one per review action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    hit_id: str
    narrative_id: str | None
    post_id: str | None
    label: ReviewLabel
    previous_state: str
    reviewer: str
    note: str | None
    reviewed_at: datetime


def review_block(
    label: str, reviewer: str, at: datetime, note: str | None, audit_id: str | None = None
) -> dict[str, Any]:
    """A hit's ``review``; `audit_id` names its audit entry (`pipeline.elastic.audit`)."""
    block: dict[str, Any] = {
        "state": label,
        "reviewer": reviewer,
        "reviewed_at": at.isoformat().replace("+00:00", "Z"),
        "note": note,
    }
    if audit_id is not None:
        block["audit_id"] = audit_id
    return block


def audit_entry(
    hit_id: str,
    hit_index: str,
    source: dict[str, Any],
    *,
    before: dict[str, Any],
    after: dict[str, Any],
    via: str,
) -> dict[str, Any]:
    """The audit document for one review action (who, when, before, after, note)."""
    return {
        "hit_id": hit_id,
        "hit_index": hit_index,
        "narrative_id": (source.get("narrative") or {}).get("id"),
        "reviewer": after["reviewer"],
        "at": after["reviewed_at"],
        "action": "review",
        "before": before,
        "after": after,
        "note": after.get("note"),
        "via": via,
    }


class ReviewPublisher(Protocol):
    def publish(self, event: ReviewEvent) -> None:
        """Deliver `event` or raise (blocking)."""


class KafkaReviewPublisher:
    """Publishes review events with kafka-python; the producer is created on first use and
    each publish waits for the broker's acknowledgement (reviews are rare, losing one is not ok).
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        timeout_s: float = 10.0,
        client_config: Mapping[str, Any] | None = None,
    ) -> None:
        """`client_config`: more `KafkaProducer` options (e.g. security; holds secrets)."""
        self.bootstrap = bootstrap
        self.topic = topic
        self.timeout_s = timeout_s
        self._client_config = dict(client_config or {})
        self._producer: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._producer is None:
                from kafka import KafkaProducer

                self._producer = KafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    max_block_ms=int(self.timeout_s * 1000),
                    **self._client_config,
                )
            return self._producer

    def publish(self, event: ReviewEvent) -> None:
        # Bytes in, no serializer callables: kafka-python 3 deprecates plain functions there.
        future = self._get().send(
            self.topic,
            key=event.hit_id.encode(),
            value=json.dumps(event.model_dump(mode="json")).encode(),
        )
        future.get(timeout=self.timeout_s)
        logger.info("published review of %s to %s", event.hit_id, self.topic)

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=self.timeout_s)
                self._producer = None
