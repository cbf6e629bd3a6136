"""The post-events agent: ``post.events`` -> `models.post_events.parse_post_event` ->
`WithdrawStep` -> Elasticsearch (+ dlq). Deleted posts' hits are marked deleted, edited posts'
stale hits superseded (`pipeline.elastic.withdrawals` states the rule and why it holds in either
order of arrival); both stay in the index and are hidden from default searches.

`plan_withdrawals` is the pure rule for one batch, per post id (events of a post share its
partition, so they arrive in order):

- any `PostDeleted` withdraws every hit of the post (``deleted``, at the earliest deletion time);
  edits of a deleted post change nothing more;
- otherwise the `PostEdited` with the latest ``ingested_at`` supersedes the hits whose post was
  ingested before it (an earlier edit's cut-off is contained in the later one).

Delivery follows `pipeline.runner`: a batch is acked once its hits are marked; an Elasticsearch
outage retries it with backoff (the updates are idempotent); a record that is not a post event is
dead-lettered with its reason.

Not covered: a deletion handled before the post's hits were indexed (a delete that overtakes its
post through a lagging worker) leaves those hits visible; see the README's known gaps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from models.post_events import PostDeleted, PostEdited, parse_post_event
from pipeline.agents.deps import WorkerDeps
from pipeline.elastic.withdrawals import Withdrawal, WithdrawalSink
from pipeline.metrics import Metrics
from pipeline.runner import BatchRunner, Record, StepResult

PostEvent = PostDeleted | PostEdited
POST_EVENTS_SOURCE = "post.events"
"""The dead-letter ``source`` of a post-events record that is not a post event."""


def plan_withdrawals(events: Iterable[PostEvent]) -> list[Withdrawal]:
    """One `Withdrawal` per post id of `events`, in first-seen order (see the module docstring).
    Pure."""
    deleted: dict[str, PostDeleted] = {}
    edited: dict[str, PostEdited] = {}
    order: dict[str, None] = {}
    for event in events:
        order.setdefault(event.post_id)
        if isinstance(event, PostDeleted):
            earlier = deleted.get(event.post_id)
            if earlier is None or event.deleted_at < earlier.deleted_at:
                deleted[event.post_id] = event
        else:
            latest = edited.get(event.post_id)
            if latest is None or event.ingested_at >= latest.ingested_at:
                edited[event.post_id] = event
    plan: list[Withdrawal] = []
    for post_id in order:
        if post_id in deleted:
            plan.append(Withdrawal(post_id, "deleted", deleted[post_id].deleted_at))
        else:
            edit = edited[post_id]
            plan.append(Withdrawal(post_id, "superseded", edit.edited_at, edit.ingested_at))
    return plan


class WithdrawStep:
    """Apply a batch's withdrawals through `sink`; counts ``narrmon_hits_withdrawn`` by reason.
    Raises `ElasticUnavailable` (transient: the runner retries) and what the sink raises."""

    def __init__(self, sink: WithdrawalSink, metrics: Metrics) -> None:
        self.sink = sink
        self.metrics = metrics

    async def __call__(self, batch: Sequence[Record[PostEvent]]) -> StepResult[PostEvent]:
        result = await self.sink.apply(plan_withdrawals(record.value for record in batch))
        for reason, count in result.marked.items():
            self.metrics.hits_withdrawn.labels(reason=reason).inc(count)
        return StepResult()


def register_post_events_agent(app: Any, deps: WorkerDeps) -> Any:
    """Attach the post-events agent to ``app``; returns the agent. It owns an Elasticsearch
    client (closed when the agent stops)."""
    from pipeline.elastic.client import make_async_client
    from pipeline.elastic.schema.names import hits_read_alias

    settings = deps.settings
    t, worker = settings.topics, settings.worker
    topic = app.topic(
        t.post_events,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=t.partitions,
        replicas=t.replication,
    )
    sink = WithdrawalSink(make_async_client(settings), hits_read_alias(settings))

    def count(event: PostEvent | None) -> None:
        deps.metrics.post_events.labels(type=event.type if event else "invalid").inc()

    runner = BatchRunner(
        name="post-events",
        parse=parse_post_event,
        step=WithdrawStep(sink, deps.metrics),
        dead_letters=deps.dead_letters,
        source=POST_EVENTS_SOURCE,
        retry=deps.retry,
        on_consumed=count,
    )

    @app.agent(topic, name="narrmon.post_events", concurrency=1)  # type: ignore[untyped-decorator]
    async def withdraw_hits(stream: Any) -> None:
        try:
            await runner.run(
                app,
                stream,
                batch_size=worker.index_batch_size,
                within_s=worker.index_batch_within_s,
            )
        finally:
            await sink.close()

    return withdraw_hits
