"""Wire the signals into a worker: the `Extension` that `pipeline.worker` runs.

Adds, per ``settings.signals``:
- coordination: agent ``<app id>-coordination-repartition`` on ``posts`` and agent
  ``<app id>-coordination`` on ``<posts>.coordination`` (`pipeline.signals.coordination`), both
  run by `pipeline.runner.BatchRunner`, the groups to ``narrative.coordination`` and the
  coordination index;
- emerging: a timer every ``interval_s`` running `pipeline.signals.emerging.EmergingRounds` on the
  worker's unmatched store (``deps.unmatched``; nothing when the worker keeps none), the
  candidates to ``narrative.emerging`` and the emerging index.
The targeting screen is not here: it runs inside the match step (`pipeline.agents.matching`).
Importing this module is cheap; Faust and Elasticsearch are used when the extension runs.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from pipeline.agents.deps import WorkerDeps
from pipeline.signals.records import EmergingCandidateRecord

logger = logging.getLogger(__name__)

SIGNALS_SOURCE = "signals"
"""The dead-letter ``source`` of a record the coordination agent could not read."""


def signals_extension(app: Any, deps: WorkerDeps) -> None:
    """Register the coordination agents and the emerging timer on `app` (no I/O now)."""
    settings = deps.settings

    def topic(name: str) -> Any:
        return app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.topics.partitions,
            replicas=settings.topics.replication,
        )

    if settings.signals.coordination.enabled:
        _register_coordination(app, deps, topic)
    if settings.signals.emerging.enabled and deps.unmatched is not None:
        _register_emerging(app, deps, topic(settings.topics.emerging))


def _register_coordination(app: Any, deps: WorkerDeps, topic: Any) -> None:
    from models.signals.coordination import CoordinationDetector
    from pipeline.agents.intake import parse_post
    from pipeline.elastic.client import make_async_client
    from pipeline.elastic.schema.names import coordination_index
    from pipeline.elastic.signals import COORDINATION_MAPPINGS, SignalSink
    from pipeline.runner import BatchRunner
    from pipeline.signals.coordination import CoordinationStep, lenient_parser, repartition_step

    settings = deps.settings
    s = settings.signals.coordination
    max_chars = settings.worker.max_post_chars
    posts_for_coordination = topic(settings.topics.coordination_posts)
    repartition = BatchRunner(
        name="coordination-repartition",
        parse=lenient_parser(max_chars),
        step=repartition_step,
        dead_letters=deps.dead_letters,
        source=SIGNALS_SOURCE,
        output=posts_for_coordination,
        retry=deps.retry,
    )
    sink = SignalSink(
        make_async_client(settings), coordination_index(settings), COORDINATION_MAPPINGS
    )
    detect = BatchRunner(
        name="coordination",
        parse=partial(parse_post, max_post_chars=max_chars),
        step=CoordinationStep(
            CoordinationDetector(s.detector_config()), deps.metrics, sink, max_ids=s.max_post_ids
        ),
        dead_letters=deps.dead_letters,
        source=SIGNALS_SOURCE,
        output=topic(settings.topics.coordination),
        retry=deps.retry,
    )
    app_id = settings.worker.app_id

    @app.agent(deps.topics.posts, name=f"{app_id}-coordination-repartition", concurrency=1)  # type: ignore[untyped-decorator]
    async def coordination_repartition(stream: Any) -> None:
        await repartition.run(app, stream, batch_size=s.batch_size, within_s=s.batch_within_s)

    @app.agent(posts_for_coordination, name=f"{app_id}-coordination", concurrency=1)  # type: ignore[untyped-decorator]
    async def coordination(stream: Any) -> None:
        try:
            await detect.run(app, stream, batch_size=s.batch_size, within_s=s.batch_within_s)
        finally:
            await sink.close()


def _register_emerging(app: Any, deps: WorkerDeps, emerging_topic: Any) -> None:
    from pipeline.elastic.client import make_async_client
    from pipeline.elastic.schema.names import emerging_index
    from pipeline.elastic.signals import EMERGING_MAPPINGS, SignalSink
    from pipeline.signals.emerging import EmergingRounds

    settings = deps.settings
    s = settings.signals.emerging
    assert deps.unmatched is not None
    sink = SignalSink(make_async_client(settings), emerging_index(settings), EMERGING_MAPPINGS)

    async def publish(records: list[EmergingCandidateRecord]) -> None:
        deliveries = [
            await emerging_topic.send(
                key=r.candidate_id.encode(), value=r.model_dump_json().encode()
            )
            for r in records
        ]
        for delivery in deliveries:
            await delivery
        await sink.write([(r.candidate_id, r.model_dump(mode="json")) for r in records])

    rounds = EmergingRounds(
        deps.unmatched, s.clustering_config(), deps.metrics, publish, deps.model_executor
    )

    @app.timer(s.interval_s)  # type: ignore[untyped-decorator]
    async def emerging_round() -> None:
        try:
            await rounds.run_once()
        except Exception:  # a timer that raises stops the worker; the next round tries again
            logger.exception("emerging round failed")
