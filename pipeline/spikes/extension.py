"""Wire spike detection into a worker: the `Extension` that `pipeline.worker` runs.

Kept apart from `agent.py` so the agent stays testable with `test_context()` while this module
owns the I/O choices (the spikes topic as raw bytes, an async Elasticsearch client for the alerts
index). Importing it is cheap: Faust and Elasticsearch are imported when the extension runs.
"""

from __future__ import annotations

from typing import Any

from pipeline.agents.deps import WorkerDeps


def spike_extension(app: Any, deps: WorkerDeps) -> None:
    """Register the spike agents, table and timer on `app` (no I/O until the worker starts);
    nothing when ``settings.spikes.enabled`` is false. The narrative-keyed hits topic and the
    spikes topic are raw bytes, with the pipeline's partition count (the narrative-keyed topic
    must be co-partitioned with the spike table)."""
    from pipeline.elastic.alerts import make_index_writer
    from pipeline.elastic.client import BACKGROUND, make_async_client
    from pipeline.elastic.schema.names import alerts_index
    from pipeline.spikes.agent import register

    settings = deps.settings
    if not settings.spikes.enabled:
        return

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

    client = make_async_client(settings, BACKGROUND)
    register(
        app,
        hits_topic=deps.topics.hits,
        by_narrative_topic=topic(settings.topics.by_narrative),
        spikes_topic=topic(settings.topics.spikes),
        settings=settings,
        metrics=deps.metrics,
        index_writer=make_index_writer(client, alerts_index(settings)),
        dead_letters=deps.dead_letters,
        retry=deps.retry,
    )
