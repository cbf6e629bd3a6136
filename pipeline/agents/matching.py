"""The matching agent: `posts` (raw bytes) -> parse -> embed + match -> `hits` / `posts.dlq`.

At-least-once, and why this shape (read from faust-streaming 0.15.3's source):

- ``Stream.take()`` / ``take_events()`` ack the buffered events in a ``finally`` after the
  ``yield``. That runs when the agent asks for the next batch, but ALSO when the generator is
  closed because the agent body raised: a batch that failed half-way would be acked, and the
  consumer commits acked offsets on the agent-error path (``Consumer.on_task_error``). So a crash
  in the matcher could lose posts.
- ``Stream.noack_take()`` buffers the same way but never acks (and sets ``enable_acks = False`` so
  the stream's own iterator does not either). We ack each event ourselves with ``stream.ack``
  only after every hit and dead letter of the batch has been DELIVERED (we await the producer's
  delivery futures; the producer uses ``acks=all``). A committed offset therefore always lies
  behind records whose outputs are in Kafka; a SIGKILL at any moment loses nothing and at most
  re-sends hits for the uncommitted tail (same hit ids, deduplicated by the index).
- Faust commits the longest run of consecutive acked offsets per partition, and its gap check
  tolerates one missing offset at the head (``_new_offset``), so we never ack out of order: a
  batch is acked all at once, in consumption order, without awaiting in between (``Stream.ack``
  does not yield to the loop).
- If a batch fails for an unexpected reason (the matcher raised, Kafka refused a send after its
  own retries), nothing of it is acked and the worker is stopped with an error (`fail_worker`):
  the supervisor restarts it and the records are redelivered. Bad records never get here: they
  are dead-lettered by `pipeline.agents.intake.parse_post`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from models.records import DeadLetter, Post
from pipeline.agents.context import WorkerContext
from pipeline.agents.hits import build_hits, stance_label
from pipeline.agents.intake import RecordOrigin, parse_post

logger = logging.getLogger(__name__)


def origin_of(event: Any) -> RecordOrigin:
    message = event.message
    key = message.key
    if isinstance(key, bytes):
        key = key.decode("utf-8", errors="replace")
    return RecordOrigin(message.topic, message.partition, message.offset, key)


async def process_post_batch(ctx: WorkerContext, events: Sequence[Any]) -> None:
    """Handle one batch of `posts` events; returns once every output is delivered.

    Raises whatever the matcher or the producer raised; the caller must then NOT ack."""
    assert ctx.topics is not None
    metrics = ctx.metrics
    max_chars = ctx.settings.worker.max_post_chars
    deliveries: list[asyncio.Future[Any]] = []
    posts: list[Post] = []
    for event in events:
        value = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
        parsed = parse_post(value, max_post_chars=max_chars, origin=origin_of(event))
        if isinstance(parsed, DeadLetter):
            metrics.posts_consumed.labels(platform="unknown").inc()
            deliveries.append(await ctx.dead_letter(parsed))
        else:
            metrics.posts_consumed.labels(platform=parsed.platform).inc()
            posts.append(parsed)

    if posts:
        started = time.perf_counter()
        results = await match_posts_with_dates(ctx, posts)
        elapsed = time.perf_counter() - started
        metrics.batch_size.observe(len(posts))
        embed_s = sum(float(getattr(r, "embed_seconds", 0.0)) for r in results)
        match_s = sum(float(getattr(r, "match_seconds", 0.0)) for r in results)
        if embed_s == 0.0 and match_s == 0.0:
            embed_s = elapsed  # a matcher that reports no split: attribute it all to embedding
        metrics.embed_seconds.observe(embed_s)
        metrics.match_seconds.observe(match_s)

        for matched in build_hits(posts, results):
            for hit in matched.hits:
                deliveries.append(
                    await ctx.topics.hits.send(
                        key=hit.id.encode("utf-8"), value=hit.model_dump_json().encode("utf-8")
                    )
                )
                metrics.hits.labels(
                    narrative=hit.narrative.id,
                    severity=hit.narrative.severity,
                    platform=hit.post.platform,
                    stance=stance_label(hit),
                ).inc()
            metrics.posts_processed.labels(
                platform=matched.post.platform, outcome=matched.outcome
            ).inc()

    if deliveries:
        await asyncio.gather(*deliveries)


async def match_posts_with_dates(ctx: WorkerContext, posts: Sequence[Post]) -> Sequence[Any]:
    """Match `posts` on the worker's model thread, passing each post's `created_at` date so the
    re-ranker's date features (`models.rerank`) work in the live path. Does not block the loop."""
    texts = [post.text for post in posts]
    dates = [post.created_at.date() for post in posts]
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        ctx.model_executor, lambda: ctx.warm_up().match(texts, dates=dates)
    )


def register_matching_agent(app: Any, ctx: WorkerContext) -> Any:
    """Attach the matching agent to ``app``; returns the agent."""
    assert ctx.topics is not None
    worker = ctx.settings.worker

    @app.agent(ctx.topics.posts, name="narrmon.match", concurrency=1)  # type: ignore[untyped-decorator]
    async def match_posts(stream: Any) -> None:
        async for events in stream.noack_take(worker.batch_size, within=worker.batch_within_s):
            try:
                await process_post_batch(ctx, events)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await fail_worker(app, "matching", exc)
                return
            for event in events:
                await stream.ack(event)

    return match_posts


async def fail_worker(app: Any, stage: str, exc: BaseException) -> None:
    """Stop the worker with an error, leaving the current batch unacknowledged.

    Its offsets are not committed, so the restarted worker (systemd, Kubernetes, `narrmon demo`)
    gets the records again."""
    logger.critical("%s batch failed, stopping the worker unacknowledged: %r", stage, exc)
    await app.crash(exc)
