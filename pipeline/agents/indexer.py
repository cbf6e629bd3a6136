"""The indexer agent: `hits` -> parse (`hits.parse_hit`) -> `IndexStep` -> Elasticsearch (+ dlq).

Every hit is written as an idempotent upsert under ``_id = hit.id``, so a redelivered hit is one
document. The batch runner (`pipeline.runner`) acks a batch only once every hit in it is in
Elasticsearch (created, or already there from an earlier delivery) or dead-lettered as
``index_rejected`` with the delivery confirmed. While Elasticsearch is unreachable or overloaded
(connection errors, 429, 5xx), or refuses some hits transiently, `IndexStep` raises
`HitsNotIndexedError` (a `TransientError`) and the runner retries the whole batch with backoff,
acknowledging nothing: the committed offset never passes an unwritten hit, and the worker stops
making progress (visible as growing ``narrmon_consumer_lag`` on ``hits``) until Elasticsearch is
back. Hits of the batch already written are written again (same ids: duplicates, not counted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from models.errors import InvalidRecord
from models.records import Hit
from pipeline.agents.deps import WorkerDeps
from pipeline.agents.hits import parse_hit
from pipeline.elastic.hits import HitSink
from pipeline.errors import TransientError
from pipeline.metrics import Metrics
from pipeline.runner import BatchRunner, Record, StepResult

HITS_SOURCE = "hits"
"""The dead-letter ``source`` of a hits record that is not a hit."""


class HitsNotIndexedError(TransientError):
    """Some or all hits of a batch must be written again later (Elasticsearch unavailable, or
    items refused transiently)."""


class IndexStep:
    """Write a batch of hits with one bulk request through `sink`.

    Returns the hits Elasticsearch rejected for good (e.g. a mapping conflict) as refused
    (``index_rejected``, source: the post's source). Raises `HitsNotIndexedError` when the request
    failed transiently or any item must be retried; raises anything else the sink raises. Counts
    ``narrmon_hits_indexed``, ``narrmon_end_to_end_seconds`` and ``narrmon_index_errors``, and
    sets ``narrmon_index_last_success_timestamp_seconds`` after every bulk request that
    Elasticsearch answered (`IndexingStalled`)."""

    def __init__(
        self,
        sink: HitSink,
        metrics: Metrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sink = sink
        self.metrics = metrics
        self._clock = clock

    async def __call__(self, batch: Sequence[Record[Hit]]) -> StepResult[Hit]:
        errors = self.metrics.index_errors
        try:
            result = await self.sink.write([record.value for record in batch])
        except TransientError:  # `ElasticUnavailable`: the runner retries the batch
            errors.labels(kind="transient").inc()
            raise

        now = self._clock()
        self.metrics.index_last_success.set(now.timestamp())
        for hit in result.created:
            self.metrics.hits_indexed.inc()
            self.metrics.end_to_end_seconds.observe(
                max(0.0, (now - hit.post.ingested_at).total_seconds())
            )
        if result.retry:
            errors.labels(kind="transient").inc(len(result.retry))
            raise HitsNotIndexedError(
                f"{len(result.retry)} hits refused transiently: {result.retry[0][1]}"
            )

        by_id = {record.value.id: record for record in batch}
        refused: list[tuple[Record[Hit], InvalidRecord]] = []
        for hit, reason in result.rejected:
            errors.labels(kind="permanent").inc()
            refused.append(
                (by_id[hit.id], InvalidRecord("index_rejected", reason, source=hit.post.source))
            )
        return StepResult(refused=refused)


def register_indexer_agent(app: Any, deps: WorkerDeps) -> Any:
    """Attach the indexer agent to ``app``; returns the agent. It closes ``deps.hit_sink`` when
    it stops."""
    worker = deps.settings.worker
    runner = BatchRunner(
        name="indexing",
        parse=parse_hit,
        step=IndexStep(deps.hit_sink, deps.metrics),
        dead_letters=deps.dead_letters,
        source=HITS_SOURCE,
        retry=deps.retry,
    )

    @app.agent(deps.topics.hits, name="narrmon.index", concurrency=1)  # type: ignore[untyped-decorator]
    async def index_hits(stream: Any) -> None:
        try:
            await runner.run(
                app,
                stream,
                batch_size=worker.index_batch_size,
                within_s=worker.index_batch_within_s,
            )
        finally:
            await deps.hit_sink.close()

    return index_hits
