"""Build the Faust app: topics, the matching and indexer agents, the lag timer, extensions.

`create_app` has no side effects beyond building objects (no broker connection, no model load);
tests and `pipeline.worker` each build their own. Records travel as raw bytes (``"raw"``
serializers) so that a malformed post can be dead-lettered with exactly the bytes it arrived as.

Extension hook: ``extensions`` are callables ``ext(app, ctx)`` run after the core agents are
registered (``ctx`` is the `WorkerContext`: settings, metrics, topics). Spike detection
(`pipeline.spikes`) plugs in here, see `pipeline.worker.EXTENSIONS`.

The consumer's post-recovery seek is guarded against a Faust race that can skip a record and
commit past it (`pipeline.agents.seek_guard`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pipeline.agents.context import MatcherFactory, PipelineTopics, WorkerContext
from pipeline.metrics import Metrics
from pipeline.settings import Settings

if TYPE_CHECKING:
    from models.matching.matcher import MatcherConfig

logger = logging.getLogger(__name__)

Extension = Callable[[Any, WorkerContext], None]


def default_matcher_factory(settings: Settings) -> MatcherFactory:
    """Load the matcher for ``settings.catalog.path`` / ``settings.model`` (lazily, when called)."""

    def factory() -> Any:
        from models.matching.matcher import load_matcher

        if settings.catalog.path is None:
            raise ValueError("no catalog: set NARRMON_CATALOG__PATH or pass --catalog")
        if settings.model.threads:
            import torch

            # More intra-op threads than cores loses up to 60% (NOTES.md); Faust needs one too.
            torch.set_num_threads(settings.model.threads)
        return load_matcher(
            settings.catalog.path,
            model_path=settings.model.path,
            cache_dir=settings.cache_dir,
            device=settings.model.device,
            config=matcher_config(settings),
        )

    return factory


def matcher_config(settings: Settings) -> MatcherConfig:
    """`models.matching.MatcherConfig` from ``settings.matcher``: the live default is
    `models.matching.matcher.live_config` (shipped re-ranker, calibrated decision). Loads weight
    files; raises OSError / ValueError for a missing or mismatched file."""
    from models.matching.calibration import Calibrator
    from models.matching.matcher import MatcherConfig
    from models.matching.rerank import SHIPPED_CHECKTHAT, Reranker

    m = settings.matcher
    reranker = None
    if m.ranking == "rerank":
        reranker = Reranker.load(m.reranker or SHIPPED_CHECKTHAT)
    return MatcherConfig(
        threshold=m.threshold if m.threshold is not None else 0.50,
        top_k=m.top_k,
        reranker=reranker,
        decision=m.decision,
        calibrator=Calibrator.load(m.calibrator) if m.calibrator is not None else None,
        probability_threshold=m.threshold,
        hit_margin=m.hit_margin,
    )


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",") if server.strip()]


def faust_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `faust.App` (pure, so tests can check them)."""
    w = settings.worker
    return {
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


def create_app(
    settings: Settings,
    metrics: Metrics,
    matcher_factory: MatcherFactory | None = None,
    *,
    index: str | None = None,
    extensions: Iterable[Extension] = (),
    context: WorkerContext | None = None,
) -> Any:
    """A `faust.App` with the narrmon agents. ``index`` is the write alias for hits (default
    `pipeline.index.hits_alias`). The `WorkerContext` is available as ``app.narrmon``; call
    ``app.narrmon.warm_up()`` before starting the worker so the model loads before consuming."""
    import faust

    from pipeline.agents.indexer import register_indexer_agent
    from pipeline.agents.matching import register_matching_agent
    from pipeline.agents.seek_guard import guard_recovery_seek
    from pipeline.lag import LagReporter

    if index is None:
        from pipeline.index import hits_alias

        index = hits_alias(settings)
    app = faust.App(settings.worker.app_id, **faust_config(settings))
    guard_recovery_seek(app.consumer)
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

    topics = PipelineTopics(
        posts=topic(t.posts), hits=topic(t.hits), dead_letters=topic(t.dead_letter)
    )
    if context is None:
        context = WorkerContext(
            settings=settings,
            metrics=metrics,
            matcher_factory=matcher_factory or default_matcher_factory(settings),
            index=index,
        )
    context.topics = topics
    app.narrmon = context

    register_matching_agent(app, context)
    register_indexer_agent(app, context)

    lag = LagReporter(metrics, frozenset({t.posts, t.hits}))

    @app.timer(settings.worker.lag_interval_s)  # type: ignore[untyped-decorator]
    async def refresh_lag() -> None:
        await lag.refresh(app.consumer)

    for extension in extensions:
        extension(app, context)
    return app
