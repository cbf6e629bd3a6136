"""Build the Faust app: topics, the matching, indexer and post-events agents, the lag timer,
extensions.

`create_app` and `declare_topics` have no side effects beyond building objects (no broker
connection, no model load); `install_agents` attaches the agents of a `WorkerDeps` (built by
`pipeline.worker.run_worker`, or by a test). Records travel as raw bytes (``"raw"`` serializers) so
that a malformed post can be dead-lettered with exactly the bytes it arrived as.

Extension hook: ``extensions`` are callables ``ext(app, deps)`` run after the core agents are
registered (``deps`` is the `WorkerDeps`: settings, metrics, topics, dead-letter writer). Spike
detection (`pipeline.spikes`) plugs in here, see `pipeline.worker.EXTENSIONS`.

The consumer's post-recovery seek is guarded against a Faust race that can skip a record and
commit past it (`pipeline.runner.seek_guard`), and a watchdog kicks a consumer that stops
fetching while records wait (`pipeline.stall.watchdog`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from pipeline.agents.deps import PipelineTopics, WorkerDeps
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

Extension = Callable[[Any, WorkerDeps], None]


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",") if server.strip()]


def faust_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `faust.App` (pure but for reading TLS files when the broker uses
    SSL, so tests can check them); ``broker_credentials`` holds secrets: never log it."""
    from pipeline.kafka_security import faust_options

    w = settings.worker
    return {
        **faust_options(settings.kafka.security),
        "broker": broker_urls(settings.kafka.bootstrap),
        "value_serializer": "raw",
        "key_serializer": "raw",
        "topic_partitions": settings.topics.partitions,
        "topic_replication_factor": settings.topics.replication,
        "topic_allow_declare": True,
        "web_enabled": False,
        "autodiscover": False,
        "store": "memory://",
        "datadir": str(settings.state_dir / "faust" / w.app_id),
        "consumer_auto_offset_reset": "earliest",
        "producer_acks": -1,
        "stream_wait_empty": True,
        "broker_session_timeout": w.session_timeout_s,
        "broker_heartbeat_interval": w.heartbeat_interval_s,
        "broker_rebalance_timeout": w.rebalance_timeout_s,
        "broker_commit_interval": w.commit_interval_s,
    }


def create_app(settings: Settings) -> Any:
    """A `faust.App` for ``settings`` with the consumer's recovery seek, its commits and its
    livelock check guarded (`pipeline.runner.seek_guard`, `pipeline.runner.commit_guard`,
    `pipeline.runner.event_path_guard`); no agents yet."""
    import faust

    from pipeline.runner.commit_guard import guard_commits
    from pipeline.runner.event_path_guard import guard_event_path
    from pipeline.runner.seek_guard import guard_recovery_seek

    app = faust.App(settings.worker.app_id, **faust_config(settings))
    guard_recovery_seek(app.consumer)
    guard_commits(app.consumer)
    guard_event_path(app.consumer)
    return app


def declare_topics(app: Any, settings: Settings) -> PipelineTopics:
    """The posts, hits and dead-letter topics of ``app`` (raw bytes, sized from settings)."""
    t = settings.topics

    def topic(name: str) -> Any:
        return app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=t.partitions,
            replicas=t.replication,
        )

    return PipelineTopics(
        posts=topic(t.posts), hits=topic(t.hits), dead_letters=topic(t.dead_letter)
    )


def install_stall_watchdog(app: Any, deps: WorkerDeps, topics: frozenset[str]) -> None:
    """Check the consumer's progress on ``topics`` every ``worker.stall_check_s``
    (`pipeline.stall.watchdog`); nothing when ``worker.stall_s`` is 0."""
    from pipeline.stall.watchdog import ConsumerWatchdog

    w = deps.settings.worker
    if w.stall_s <= 0:
        return
    watchdog = ConsumerWatchdog(deps.settings, deps.metrics, topics)

    @app.timer(w.stall_check_s)  # type: ignore[untyped-decorator]
    async def check_consumer_progress() -> None:
        await watchdog.check(app.consumer)

    @app.on_before_shutdown.connect  # type: ignore[untyped-decorator]
    async def close_watchdog(app: Any, **kwargs: Any) -> None:
        watchdog.close()


def install_agents(app: Any, deps: WorkerDeps, extensions: Iterable[Extension] = ()) -> None:
    """Attach the matching, indexer and post-events agents, the lag timer and ``extensions`` to
    ``app``."""
    from pipeline.agents.indexer import register_indexer_agent
    from pipeline.agents.matching import register_matching_agent
    from pipeline.agents.post_events import register_post_events_agent
    from pipeline.lag import LagReporter

    register_matching_agent(app, deps)
    register_indexer_agent(app, deps)
    register_post_events_agent(app, deps)

    t = deps.settings.topics
    lag = LagReporter(deps.metrics, frozenset({t.posts, t.hits, t.by_narrative, t.post_events}))

    @app.timer(deps.settings.worker.lag_interval_s)  # type: ignore[untyped-decorator]
    async def refresh_lag() -> None:
        await lag.refresh(app.consumer)

    install_stall_watchdog(app, deps, frozenset({t.posts, t.hits, t.by_narrative, t.post_events}))

    for extension in extensions:
        extension(app, deps)
