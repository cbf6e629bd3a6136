"""`narrmon demo`: the whole pipeline, end to end, on the real local stack.

Steps: bring the stack up if needed -> fresh topics, consumer group and index for this run (so
every count is exact) -> start a worker child process -> replay the bundled demo stream (articles,
posts.jsonl, malformed.jsonl) through the connectors -> wait until the worker has processed every
published post and indexed every hit (bounded) -> summarise from the worker's metrics and the
index -> stop what the demo started (unless ``keep_running``).
"""

from __future__ import annotations

import importlib.resources
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import metrics as m
from pipeline.demo_summary import index_summary, percentile
from pipeline.settings import Settings
from pipeline.worker_process import (
    Samples,
    WorkerProcess,
    by_label,
    free_port,
    port_in_use,
    total,
)

if TYPE_CHECKING:
    from connectors.base import Connector

logger = logging.getLogger(__name__)


class DemoError(RuntimeError):
    """The demo could not complete (stack, worker or timeout); the message says where to look."""


def demo_data_dir() -> Path:
    return Path(str(importlib.resources.files("pipeline.demo_data")))


def example_catalog() -> Path:
    return Path(str(importlib.resources.files("models"))) / "catalogs" / "election-2024.yaml"


def demo_settings(settings: Settings, run_id: str) -> Settings:
    """``settings`` with topics, consumer group and index unique to this run, the example
    catalog (unless one is configured), short group timeouts, and a free metrics port when the
    configured one is taken."""
    name = f"demo-{run_id}"
    topics = settings.topics.model_copy(
        update={
            "posts": f"{name}.posts",
            "hits": f"{name}.hits",
            "dead_letter": f"{name}.posts.dlq",
            "spikes": f"{name}.spikes",
            "reviews": f"{name}.reviews",
            "post_events": f"{name}.post.events",
        }
    )
    worker = settings.worker.model_copy(
        update={
            "app_id": f"narrmon-{name}",
            "session_timeout_s": 10.0,
            "heartbeat_interval_s": 1.0,
            "commit_interval_s": 1.0,
            "lag_interval_s": 1.0,
        }
    )
    if port_in_use(settings.worker.metrics_host, settings.worker.metrics_port):
        # e.g. a worker left by `--keep-running`: this run's worker serves elsewhere.
        worker = worker.model_copy(update={"metrics_port": free_port(settings.worker.metrics_host)})
    es = settings.elasticsearch.model_copy(update={"index_prefix": f"narrmon-{name}"})
    catalog = settings.catalog
    if catalog.path is None:
        catalog = catalog.model_copy(update={"path": example_catalog()})
    return settings.model_copy(
        update={"topics": topics, "worker": worker, "elasticsearch": es, "catalog": catalog}
    )


@dataclass
class Published:
    posts: int = 0
    connector_dead_letters: Counter[str] = field(default_factory=Counter)
    delivery_failures: int = 0
    by_source: dict[str, int] = field(default_factory=dict)


def demo_connectors(data: Path) -> list[Connector]:
    """The demo stream's sources, in replay order: articles, posts, malformed records."""
    from connectors.articles import ArticleConnector
    from connectors.jsonl import JsonlConnector

    return [
        ArticleConnector(sorted((data / "articles").iterdir()), source="demo:articles"),
        JsonlConnector([data / "posts.jsonl"], source="demo:posts"),
        JsonlConnector([data / "malformed.jsonl"], source="demo:malformed"),
    ]


def replay_demo_stream(
    settings: Settings, speed: str = "max", now: datetime | None = None
) -> Published:
    """Publish the bundled articles, posts.jsonl and malformed.jsonl, re-timed to the present
    (`pipeline.demo_retime`: relative spacing kept, the newest post dated `now`). The posts are
    paced by their ``created_at`` at `speed` (``max``, ``original`` or ``Nx``); articles (days
    apart) and malformed records go out at once. Blocking; raises ValueError for a bad `speed`."""
    from connectors.pacing import Pacer, parse_speed
    from connectors.publisher import Publisher
    from connectors.replay import replay
    from models.records import utc_now
    from pipeline.demo_retime import RetimedSink, latest_post_time, retime_offset
    from pipeline.kafka_security import kafka_python_options

    pace = parse_speed(speed)
    data = demo_data_dir()
    now = now or utc_now()
    offset = retime_offset(latest_post_time(data / "posts.jsonl"), now)
    connectors = demo_connectors(data)
    published = Published()
    for connector in connectors:
        with Publisher(
            settings.kafka.bootstrap,
            topic=settings.topics.posts,
            dead_letter_topic=settings.topics.dead_letter,
            source=connector.source,
            **kafka_python_options(settings.kafka.security),
        ) as publisher:
            pacer = Pacer(pace) if connector.source == "demo:posts" else None
            summary = replay(
                connector,
                RetimedSink(publisher, offset, not_after=now),
                max_chars=settings.worker.max_post_chars,
                pacer=pacer,
            )
            publisher.flush()
            stats = publisher.stats
        published.posts += stats.posts_acked
        published.by_source[connector.source] = stats.posts_acked
        published.connector_dead_letters.update(summary.by_reason)
        published.delivery_failures += stats.posts_failed + stats.dead_letters_failed
    return published


def is_settled(samples: Samples, published: int) -> bool:
    """Every published post processed or dead-lettered by the worker, and every hit produced
    indexed (or rejected). Counters only grow, so once true it stays true."""
    processed = total(samples, m.POSTS_PROCESSED + "_total")
    worker_dlq = total(samples, m.DEAD_LETTERED + "_total")
    hits = total(samples, m.HITS + "_total")
    indexed = total(samples, m.HITS_INDEXED + "_total")
    rejected = total(samples, m.INDEX_ERRORS + "_total", kind="permanent")
    return processed + worker_dlq >= published and indexed + rejected >= hits


def run_demo(
    settings: Settings,
    *,
    keep_running: bool = False,
    timeout_s: float = 600.0,
    speed: str = "max",
) -> dict[str, Any]:
    """Run the demo; return the summary. Raises `DemoError`. The run holds a lease while it
    runs (`pipeline.demo_leases`) so that a demo started meanwhile does not prune its data."""
    from pipeline.demo_leases import hold_run

    run_id = uuid.uuid4().hex[:8]
    with hold_run(settings.state_dir, run_id):
        return _run(demo_settings(settings, run_id), run_id, keep_running, timeout_s, speed)


def _run(
    settings: Settings, run_id: str, keep_running: bool, timeout_s: float, speed: str
) -> dict[str, Any]:
    from pipeline.demo_api import start_demo_ui
    from pipeline.demo_runs import prune_previous_runs, write_handoff
    from pipeline.elastic.schema.names import hits_alias
    from pipeline.stack import StackError, down, up
    from pipeline.stack.layout import StackLayout
    from pipeline.topics import ensure_pipeline_topics

    try:
        stack = up(settings)
    except StackError as exc:
        raise DemoError(f"the local stack could not be started: {exc}") from exc
    prune_previous_runs(settings, run_id)
    worker = WorkerProcess(
        settings,
        settings.log_dir / f"demo-worker-{run_id}.log",
        register_with=StackLayout.of(settings).scrape_targets_dir,
        record_in=StackLayout.of(settings).background_dir,
    )
    started = time.monotonic()
    handoff: Path | None = None
    ui_url: str | None = None
    try:
        ensure_pipeline_topics(settings)
        worker.start()
        try:
            worker.wait_ready()
        except RuntimeError as exc:
            raise DemoError(str(exc)) from exc
        published = replay_demo_stream(settings, speed)
        samples = _wait_settled(worker, published.posts, timeout_s)
        alias = hits_alias(settings)
        from_index = index_summary(settings, alias)
        if keep_running:
            from pipeline.demo_session import stop_demo_api

            stop_demo_api(settings.state_dir)  # an earlier demo's UI: its data was just pruned
            worker_pid = worker.proc.pid if worker.proc else None
            handoff = write_handoff(settings, worker_pid)
            try:
                ui_url = start_demo_ui(settings, handoff, worker_pid, run_id)
            except RuntimeError as exc:
                raise DemoError(str(exc)) from exc
    finally:
        if not keep_running:
            worker.stop()
            if stack.started:
                down(settings, only=stack.started)
    latencies = from_index.pop("latencies")
    worker_dlq = {
        reason: int(v)
        for reason, v in by_label(samples, m.DEAD_LETTERED + "_total", "reason").items()
        if v
    }
    p50 = percentile(latencies, 50)
    p99 = percentile(latencies, 99)
    w = settings.worker
    return {
        "run_id": run_id,
        "posts_published": published.posts,
        "published_by_source": published.by_source,
        "posts_processed": int(total(samples, m.POSTS_PROCESSED + "_total")),
        "posts_with_hits": int(total(samples, m.POSTS_PROCESSED + "_total", outcome="hit")),
        "hits_produced": int(total(samples, m.HITS + "_total")),
        "hits_indexed": int(total(samples, m.HITS_INDEXED + "_total")),
        "hits_in_index": from_index["documents"],
        "narratives": from_index["narratives"],
        "dead_lettered": {
            "connector": dict(sorted(published.connector_dead_letters.items())),
            "worker": dict(sorted(worker_dlq.items())),
        },
        "delivery_failures": published.delivery_failures,
        "latency_p50_s": None if p50 is None else round(p50, 3),
        "latency_p99_s": None if p99 is None else round(p99, 3),
        "index": alias,
        "topics": {
            "posts": settings.topics.posts,
            "hits": settings.topics.hits,
            "dead_letter": settings.topics.dead_letter,
        },
        "elasticsearch_url": settings.elasticsearch.endpoint,
        "metrics_url": f"http://{w.metrics_host}:{w.metrics_port}/metrics",
        "prometheus_url": settings.prometheus.url,
        "worker_log": str(worker.log_path),
        "worker_running": keep_running,
        "worker_pid": worker.proc.pid if keep_running and worker.proc is not None else None,
        "handoff_env": None if handoff is None else str(handoff),
        "ui_url": ui_url,
        "stack_started_by_demo": stack.started,
        "elapsed_s": round(time.monotonic() - started, 1),
    }


def _wait_settled(worker: WorkerProcess, published: int, timeout_s: float) -> Samples:
    deadline = time.monotonic() + timeout_s
    last: Samples | None = None
    while time.monotonic() < deadline:
        if worker.proc is not None and worker.proc.poll() is not None:
            raise DemoError(f"the worker exited ({worker.proc.returncode}); see {worker.log_path}")
        samples = worker.scrape()
        if samples is not None:
            last = samples
            if is_settled(samples, published):
                return samples
        time.sleep(0.5)
    consumed = total(last or {}, m.POSTS_CONSUMED + "_total")
    raise DemoError(
        f"timed out after {timeout_s:.0f}s: worker consumed {consumed:.0f} of {published} posts; "
        f"see {worker.log_path}"
    )
