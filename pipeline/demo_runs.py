"""Housekeeping for `narrmon demo` runs: prune older runs' topics and indices, and hand a kept
run over to other commands through a dotenv file.

Every demo run has its own topics (``demo-<run>.*``), Faust app id (``narrmon-demo-<run>``: its
internal topics start with that) and index prefix (``narrmon-demo-<run>``), so its counts are
exact. Without pruning, each run would leave ~5 topics and 2 indices on the local stack for good.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

from pipeline.settings import Settings

logger = logging.getLogger(__name__)

TOPIC_PREFIXES = ("demo-", "narrmon-demo-")
INDEX_PATTERN = "narrmon-demo-*"


def stale_names(names: list[str], prefixes: tuple[str, ...], keep: Collection[str]) -> list[str]:
    """The names that belong to a demo run other than those in `keep` (pure)."""
    return sorted(n for n in names if n.startswith(prefixes) and not any(run in n for run in keep))


def prune_previous_runs(settings: Settings, run_id: str) -> tuple[list[str], list[str]]:
    """Delete the Kafka topics and Elasticsearch indices of earlier demo runs (best effort: a
    failure is logged, never raised). Returns (topics deleted, indices deleted). Blocking.

    Runs still in progress (a live lease, `pipeline.demo_leases`) are kept, so two demos on one
    stack do not break each other. A worker left running by ``--keep-running`` of an earlier run
    loses its data."""
    from pipeline.demo_leases import active_runs

    keep = active_runs(settings.state_dir) | {run_id}
    topics: list[str] = []
    indices: list[str] = []
    try:
        from kafka.admin import KafkaAdminClient

        from pipeline.kafka_security import kafka_python_options

        admin = KafkaAdminClient(
            bootstrap_servers=settings.kafka.bootstrap.split(","),
            client_id="narrmon-demo",
            **kafka_python_options(settings.kafka.security),
        )
        try:
            topics = stale_names(list(admin.list_topics()), TOPIC_PREFIXES, keep)
            if topics:
                admin.delete_topics(topics, timeout_ms=30_000)
        finally:
            admin.close()
    except Exception as exc:
        logger.warning("could not prune earlier demo topics: %r", exc)
        topics = []
    try:
        from pipeline.elastic.client import BACKGROUND, make_client

        client = make_client(settings, BACKGROUND)
        try:
            found = list(client.indices.get(index=INDEX_PATTERN, expand_wildcards="all"))
            indices = stale_names(found, ("narrmon-demo-",), keep)
            # Explicit names: 8.x refuses wildcard deletes (action.destructive_requires_name).
            for start in range(0, len(indices), 50):
                client.indices.delete(index=",".join(indices[start : start + 50]))
            templates = client.options(ignore_status=404).indices.get_index_template(
                name="narrmon-demo-*"
            )
            for template in templates.get("index_templates", []):
                if not any(run in template["name"] for run in keep):
                    client.indices.delete_index_template(name=template["name"])
        finally:
            client.close()
    except Exception as exc:
        logger.warning("could not prune earlier demo indices: %r", exc)
        indices = []
    if topics or indices:
        logger.info(
            "pruned %d topics and %d indices of earlier demo runs", len(topics), len(indices)
        )
    return topics, indices


def handoff_env(
    settings: Settings, worker_pid: int | None = None, api_pid: int | None = None
) -> str:
    """Dotenv text that points other commands (``narrmon api``, ``search``, ``worker``) at this
    demo run's topics, index prefix and catalog, plus the kept worker's and API's pids (see
    `pipeline.demo_session`). Holds no secrets (pure)."""
    from pipeline.demo_api import API_PID_KEY
    from pipeline.demo_session import WORKER_PID_KEY

    t = settings.topics
    lines = {
        "NARRMON_ELASTICSEARCH__INDEX_PREFIX": settings.elasticsearch.index_prefix,
        "NARRMON_CATALOG__PATH": str(settings.catalog.path or ""),
        "NARRMON_WORKER__APP_ID": settings.worker.app_id,
        "NARRMON_TOPICS__POSTS": t.posts,
        "NARRMON_TOPICS__HITS": t.hits,
        "NARRMON_TOPICS__DEAD_LETTER": t.dead_letter,
        "NARRMON_TOPICS__SPIKES": t.spikes,
        "NARRMON_TOPICS__REVIEWS": t.reviews,
        "NARRMON_TOPICS__POST_EVENTS": t.post_events,
    }
    if worker_pid is not None:
        lines[WORKER_PID_KEY] = str(worker_pid)
    if api_pid is not None:
        lines[API_PID_KEY] = str(api_pid)
    return "".join(f"{key}={value}\n" for key, value in lines.items())


def write_handoff(
    settings: Settings, worker_pid: int | None = None, api_pid: int | None = None
) -> Path:
    """Write `handoff_env` to ``<state_dir>/demo/latest.env`` and return its path."""
    from pipeline.demo_session import handoff_path

    path = handoff_path(settings.state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(handoff_env(settings, worker_pid, api_pid), encoding="utf-8")
    return path
