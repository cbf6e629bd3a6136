"""The review-stats agent: ``reviews`` -> `parse_review` -> `ReviewStatsStep` -> Elasticsearch.

Run by the batch runner (`pipeline.runner`: at least once, malformed events dead-lettered,
`ElasticUnavailable` retried). Each batch recomputes the stats documents of the narratives its
events name (see `pipeline.feedback` for why recompute rather than count).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from models.errors import InvalidRecord
from pipeline.agents.deps import WorkerDeps
from pipeline.api.reviews import ReviewEvent
from pipeline.runner import BatchRunner, Record, StepResult

logger = logging.getLogger(__name__)

REVIEWS_SOURCE = "reviews"


def parse_review(raw: bytes) -> ReviewEvent:
    """One ``reviews`` record as a `ReviewEvent`. Raises `InvalidRecord`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord("invalid_utf8", str(exc), source=REVIEWS_SOURCE) from exc
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRecord("malformed_json", exc.msg, source=REVIEWS_SOURCE) from exc
    try:
        return ReviewEvent.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise InvalidRecord(
            "schema_error", f"{where}: {first['msg']}", source=REVIEWS_SOURCE
        ) from exc


class StatsWriter(Protocol):
    async def recompute(self, narrative_ids: Sequence[str]) -> list[dict[str, Any]]: ...


class ReviewStatsStep:
    """Recompute the stats of every narrative named in the batch (sorted, once each)."""

    def __init__(self, writer: StatsWriter) -> None:
        self.writer = writer

    async def __call__(self, batch: Sequence[Record[ReviewEvent]]) -> StepResult[ReviewEvent]:
        narratives = sorted({r.value.narrative_id for r in batch if r.value.narrative_id})
        for doc in await self.writer.recompute(narratives):
            logger.info(
                "review stats of %s: precision %s over %d judged",
                doc["narrative_id"], doc["precision"], doc["judged"],
            )  # fmt: skip
        return StepResult()


def review_stats_extension(app: Any, deps: WorkerDeps) -> None:
    """Register the review-stats agent on ``app`` (its own ES client; no I/O until it runs)."""
    from pipeline.elastic.client import BACKGROUND, make_async_client
    from pipeline.elastic.review_stats import ReviewStatsWriter

    settings = deps.settings
    topic = app.topic(
        settings.topics.reviews,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topics.partitions,
        replicas=settings.topics.replication,
    )
    client = make_async_client(settings, BACKGROUND)
    runner = BatchRunner(
        name="review-stats",
        parse=parse_review,
        step=ReviewStatsStep(ReviewStatsWriter(client, settings)),
        dead_letters=deps.dead_letters,
        source=REVIEWS_SOURCE,
        retry=deps.retry,
    )

    @app.agent(topic, name="narrmon.review-stats", concurrency=1)  # type: ignore[untyped-decorator]
    async def review_stats(stream: Any) -> None:
        try:
            await runner.run(app, stream, batch_size=100, within_s=1.0)
        finally:
            await client.close()
