"""Run one narrmon worker process: the blocking entry point behind `narrmon worker`.

Order matters: topics exist, the model is loaded and warmed up, the hits index exists and the
``/metrics`` endpoint answers BEFORE the Faust worker joins the consumer group, so the first
batch is never delayed by a model load (which would stall heartbeats' neighbours: commits and
rebalances) and Prometheus sees the worker from its first second. SIGTERM/SIGINT stop it
gracefully (Faust finishes the batches in flight, acks them and commits); SIGKILL is safe too,
see `pipeline.agents.matching`.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Any

from pipeline.agents.context import MatcherFactory, WorkerContext
from pipeline.app import Extension, create_app, default_matcher_factory
from pipeline.metrics import Metrics
from pipeline.settings import Settings
from pipeline.spikes.extension import spike_extension

logger = logging.getLogger(__name__)

EXTENSIONS: list[Extension] = [spike_extension]
"""Extensions every worker runs (``ext(app, ctx)``): spike detection on the hits topic."""

_FAUST_LEVELS = {"warning": "warn", "critical": "crit"}


def faust_loglevel(level: str) -> str:
    """Faust/mode accept crit, error, warn, info, debug (not ``warning``)."""
    level = level.lower()
    return _FAUST_LEVELS.get(level, level)


def ensure_index(settings: Settings, dims: int) -> str:
    """Install the hits template and write alias (idempotent); return the alias. Blocking."""
    from elasticsearch import Elasticsearch

    from pipeline.index import ensure_hits_index

    es = settings.elasticsearch
    api_key = es.api_key.get_secret_value() if es.api_key else None
    client = Elasticsearch(es.endpoint, api_key=api_key, request_timeout=30)
    try:
        return ensure_hits_index(client, settings, dims)
    finally:
        client.close()


def start_metrics_server(settings: Settings, metrics: Metrics) -> Any:
    """Serve ``/metrics`` for ``metrics.registry`` on a daemon thread; returns the server."""
    from prometheus_client import start_http_server

    w = settings.worker
    server, _thread = start_http_server(
        w.metrics_port, addr=w.metrics_host, registry=metrics.registry
    )
    logger.info("metrics on http://%s:%d/metrics", w.metrics_host, w.metrics_port)
    return server


def register_with_prometheus(settings: Settings) -> Path | None:
    """Register this worker's /metrics as a scrape target of the local Prometheus (best effort:
    a worker runs fine without the local stack's Prometheus)."""
    if not settings.worker.register_scrape_target:
        return None
    try:
        from pipeline.stack import register_scrape_target

        w = settings.worker
        name = f"{w.app_id}-{socket.gethostname()}-{w.metrics_port}"
        return register_scrape_target(
            settings, "narrmon-worker", name, f"{w.metrics_host}:{w.metrics_port}"
        )
    except Exception as exc:
        logger.warning("could not register the worker with Prometheus: %r", exc)
        return None


def run_worker(
    settings: Settings,
    *,
    matcher_factory: MatcherFactory | None = None,
    extensions: list[Extension] | None = None,
) -> None:
    """Run a worker until SIGTERM/SIGINT. Blocking; exits the process via `SystemExit` (non-zero
    when the worker crashed)."""
    import faust

    from pipeline.topics import ensure_pipeline_topics

    metrics = Metrics()
    metrics.worker.info({"app_id": settings.worker.app_id, "pid": str(os.getpid())})
    # Faust creates its data directory but not the parents.
    (settings.state_dir / "faust").mkdir(parents=True, exist_ok=True)
    ensure_pipeline_topics(settings)
    ctx = WorkerContext(
        settings=settings,
        metrics=metrics,
        matcher_factory=matcher_factory or default_matcher_factory(settings),
        index="",
    )
    matcher = ctx.warm_up()
    ctx.index = ensure_index(settings, matcher.dims)
    server = start_metrics_server(settings, metrics)
    target = register_with_prometheus(settings)
    app = create_app(
        settings,
        metrics,
        index=ctx.index,
        context=ctx,
        extensions=EXTENSIONS if extensions is None else extensions,
    )
    worker = faust.Worker(app, loglevel=faust_loglevel(settings.worker.log_level))
    try:
        worker.execute_from_commandline()
    finally:
        if target is not None:
            from pipeline.stack import unregister_scrape_target

            unregister_scrape_target(target)
        server.shutdown()
        ctx.model_executor.shutdown(wait=False, cancel_futures=True)
