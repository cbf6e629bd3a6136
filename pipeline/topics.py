"""The pipeline's Kafka topics: names and sizes from `settings.topics`, created idempotently.

`posts` is keyed by post id, `hits` by hit id, `hits.by-narrative` by narrative id (hits and
spike-window ticks, `pipeline.spikes`), `posts.dlq` carries `DeadLetter` JSON, `narrative.spikes`
carries `Spike` JSON, `post.events` deletions and edits (`models.post_events`, keyed by post id);
`posts.coordination` carries posts keyed by one constant (coordination runs on one partition),
`narrative.coordination` and `narrative.emerging` the coordination groups and emerging-narrative
candidates (`pipeline.signals`).
Topics are created before the Faust worker starts (Faust only auto-creates its own internal
topics, and a consumer subscribing to a missing topic would let the broker auto-create it with 1
partition). Creation itself is `connectors.topics.ensure_topics`, shared
with `narrmon ingest`.
"""

from __future__ import annotations

from pipeline.settings import Settings


def pipeline_topics(settings: Settings) -> list[str]:
    """The topics the worker reads and writes: posts, hits, hits by narrative, dead letters,
    spikes, reviews, post events and the signals' topics."""
    t = settings.topics
    signals = [t.coordination_posts, t.coordination, t.emerging]
    return [
        t.posts,
        t.hits,
        t.by_narrative,
        t.dead_letter,
        t.spikes,
        t.reviews,
        t.post_events,
        *signals,
    ]


def ensure_pipeline_topics(settings: Settings, *, timeout_s: float = 30.0) -> list[str]:
    """Create the missing pipeline topics with the configured partitions and replication; return
    the names created. Blocking; raises `connectors.topics.TopicSetupError`."""
    from connectors.topics import ensure_topics
    from pipeline.kafka_security import kafka_python_options

    t = settings.topics
    return ensure_topics(
        settings.kafka.bootstrap,
        pipeline_topics(settings),
        t.partitions,
        t.replication,
        timeout_s=timeout_s,
        **kafka_python_options(settings.kafka.security),
    )
