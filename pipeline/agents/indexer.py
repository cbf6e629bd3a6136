"""The indexer agent: `hits` -> Elasticsearch (bulk upsert, ``_id = hit.id``).

Same acknowledgement discipline as `pipeline.agents.matching` (``noack_take`` + ack the whole
batch after the work): the events of a batch are acked only once every hit in it is either in
Elasticsearch (created, or already there from an earlier delivery) or dead-lettered as
``index_rejected`` with the delivery confirmed. While Elasticsearch is unreachable or overloaded
(connection errors, 429, 5xx) the batch is retried with exponential backoff and NOTHING is acked,
so the committed offset never passes an unwritten hit; the worker simply stops making progress
(visible as growing ``narrmon_consumer_lag`` on ``hits``) until Elasticsearch is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from models.records import DeadLetter, Hit
from pipeline.agents.context import WorkerContext
from pipeline.agents.matching import fail_worker, origin_of
from pipeline.elastic.errors import ElasticUnavailable
from pipeline.elastic.hits import HitSink
from pipeline.retry import backoff_delay

logger = logging.getLogger(__name__)

HITS_SOURCE = "hits"


def parse_hit(raw: bytes) -> Hit | str:
    """The `Hit` in a `hits` record, or the reason it is not one (we wrote it, so this is a bug
    or a foreign producer; such records are dead-lettered, never retried)."""
    try:
        return Hit.model_validate_json(raw)
    except ValidationError as exc:
        return f"not a hit: {exc.error_count()} errors: {exc.errors(include_url=False)[:3]!r}"


async def index_hit_batch(ctx: WorkerContext, writer: HitSink, events: Sequence[Any]) -> None:
    """Write one batch of `hits` events; returns once every hit is indexed or dead-lettered.

    Retries transient failures forever (with backoff); raises on anything else."""
    metrics = ctx.metrics
    deliveries: list[asyncio.Future[Any]] = []
    pending: list[Hit] = []
    origins: dict[str, Any] = {}
    for event in events:
        raw = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
        parsed = parse_hit(raw)
        origin = origin_of(event)
        if isinstance(parsed, str):
            dead = DeadLetter.of(
                raw,
                "schema_error",
                parsed,
                HITS_SOURCE,
                original_topic=origin.topic,
                original_partition=origin.partition,
                original_offset=origin.offset,
                key=origin.key,
            )
            deliveries.append(await ctx.dead_letter(dead))
            continue
        origins[parsed.id] = origin
        pending.append(parsed)

    attempt = 0
    while pending:
        try:
            result = await writer.write(pending)
        except ElasticUnavailable as exc:
            metrics.index_errors.labels(kind="transient").inc()
            delay = _delay(ctx, attempt)
            logger.warning(
                "indexing %d hits failed (attempt %d), retrying in %.1fs: %s",
                len(pending),
                attempt + 1,
                delay,
                exc,
            )
            attempt += 1
            await asyncio.sleep(delay)
            continue

        now = datetime.now(UTC)
        for hit in result.created:
            metrics.hits_indexed.inc()
            metrics.end_to_end_seconds.observe(
                max(0.0, (now - hit.post.ingested_at).total_seconds())
            )
        for hit, reason in result.rejected:
            metrics.index_errors.labels(kind="permanent").inc()
            origin = origins[hit.id]
            dead = DeadLetter.of(
                hit.model_dump_json().encode("utf-8"),
                "index_rejected",
                reason,
                hit.post.source,
                original_topic=origin.topic,
                original_partition=origin.partition,
                original_offset=origin.offset,
                key=hit.id,
            )
            deliveries.append(await ctx.dead_letter(dead))
        pending = [hit for hit, _ in result.retry]
        if pending:
            metrics.index_errors.labels(kind="transient").inc(len(pending))
            delay = _delay(ctx, attempt)
            logger.warning(
                "%d hits refused transiently (%s), retrying in %.1fs",
                len(pending),
                result.retry[0][1],
                delay,
            )
            attempt += 1
            await asyncio.sleep(delay)

    if deliveries:
        await asyncio.gather(*deliveries)


def _delay(ctx: WorkerContext, attempt: int) -> float:
    worker = ctx.settings.worker
    return backoff_delay(
        attempt, base_s=worker.index_backoff_base_s, cap_s=worker.index_backoff_cap_s
    )


def register_indexer_agent(app: Any, ctx: WorkerContext) -> Any:
    """Attach the indexer agent to ``app``; returns the agent. The Elasticsearch client is created
    inside the worker's event loop on the first batch and closed when the agent stops."""
    assert ctx.topics is not None
    worker = ctx.settings.worker

    @app.agent(ctx.topics.hits, name="narrmon.index", concurrency=1)  # type: ignore[untyped-decorator]
    async def index_hits(stream: Any) -> None:
        from pipeline.elastic.client import make_async_client

        writer = HitSink(make_async_client(ctx.settings), ctx.index)
        try:
            async for events in stream.noack_take(
                worker.index_batch_size, within=worker.index_batch_within_s
            ):
                try:
                    await index_hit_batch(ctx, writer, events)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    await fail_worker(app, "indexing", exc)
                    return
                for event in events:
                    await stream.ack(event)
        finally:
            await writer.close()

    return index_hits
