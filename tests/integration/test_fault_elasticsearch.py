"""Elasticsearch down under load, end to end, on a PRIVATE Elasticsearch, Prometheus and
Alertmanager (the shared stack is never touched; Kafka is the shared one, with test topics).

A worker indexes into the private node and registers with the private Prometheus, which loads
the repository's rules scaled down (`tests.integration.private_stack`: IndexingStalled after
10 s without a bulk write and 5 s pending, instead of 2 min and 1 min). Posts stream in at a
steady pace; Elasticsearch is stopped for `OUTAGE_S`; IndexingStalled must reach Alertmanager's
webhook during the outage; after the restart every expected hit is in the index exactly once
(0 lost, 0 duplicated), the worker never restarted, and the alert resolves."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from models.records import Post
from pipeline.settings import Settings
from pipeline.worker_process import WorkerProcess, total
from tests.integration.faults import PacedProducer, record_figure, wait_until
from tests.integration.private_stack import alerts_named, free_port, private_stack, webhook
from tests.integration.test_pipeline_worker import (
    TEXTS,
    expected_hit_ids,
    matcher,  # noqa: F401 - the module-scoped fixture
    scenario_settings,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTAGE_S = float(os.environ.get("NARRMON_FAULT_ES_OUTAGE_S", "60"))


def _post(prefix: str, i: int) -> Post:
    return Post(
        id=f"es:{prefix}-{i}",
        platform="x",
        source="es-outage",
        text=f"{TEXTS[i % len(TEXTS)]} #{i}",
        created_at=datetime.now(UTC),
    )


def _index_ids(settings: Settings) -> list[str]:
    from elasticsearch import Elasticsearch
    from elasticsearch.helpers import scan

    from pipeline.elastic.schema.names import hits_alias

    client = Elasticsearch(settings.elasticsearch.endpoint, request_timeout=10)
    try:
        client.indices.refresh(index=hits_alias(settings))
        hits = scan(client, index=hits_alias(settings), query={"query": {"match_all": {}}})
        return [d["_id"] for d in hits]
    finally:
        client.close()


def test_elasticsearch_outage_alerts_loses_nothing_and_resolves(
    stack: Settings,
    matcher: Any,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    hook_port = free_port()
    with (
        webhook(hook_port) as received,
        private_stack(
            stack,
            "elasticsearch",
            "prometheus",
            "alertmanager",
            webhook_port=hook_port,
        ) as private,
    ):
        base = private.settings.model_copy(update={"kafka": stack.kafka})
        settings = scenario_settings(base, tmp_path)
        settings = settings.model_copy(
            update={
                "worker": settings.worker.model_copy(
                    update={"index_backoff_cap_s": 2.0, "lag_interval_s": 0.5}
                )
            }
        )
        worker = WorkerProcess(
            settings, tmp_path / "worker.log", register_with=private.layout.scrape_targets_dir
        )
        producer: PacedProducer | None = None
        try:
            worker.start()
            worker.wait_ready()
            pid = worker.proc.pid if worker.proc else 0
            producer = PacedProducer(
                settings.kafka.bootstrap,
                settings.topics.posts,
                lambda i: _post(settings.worker.app_id, i),
                interval_s=0.25,
            ).start()
            wait_for(worker, lambda s: total(s, "narrmon_hits_indexed_total") >= 5)

            private.stop("elasticsearch")
            stopped = time.monotonic()
            firing = wait_until(
                lambda: alerts_named(received, "IndexingStalled", "firing"),
                OUTAGE_S + 60,
                "IndexingStalled at the webhook",
            )
            time_to_alert = time.monotonic() - stopped
            assert firing[0]["labels"]["severity"] == "critical"
            assert worker.proc is not None and worker.proc.poll() is None
            time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))

            private.start("elasticsearch")
            sent = producer.stop()
            producer = None
            expected = expected_hit_ids(matcher, sent)
            wait_until(
                lambda: len(set(_index_ids(settings))) >= len(expected), 180, "every hit indexed"
            )
            ids = _index_ids(settings)
            assert sorted(ids) == sorted(expected), "0 lost, 0 duplicated"
            wait_for(worker, lambda s: total(s, "narrmon_posts_processed_total") >= len(sent))
            resolved = wait_until(
                lambda: alerts_named(received, "IndexingStalled", "resolved"), 90, "resolution"
            )
            assert resolved[0]["labels"]["instance"] == firing[0]["labels"]["instance"]
            assert worker.proc.pid == pid, "the worker never restarted"
            record_figure(
                "time_to_alert_indexing_stalled_s",
                value=round(time_to_alert, 1),
                rules="scaled 1/12 (10 s without a bulk write, for 5 s)",
                outage_s=OUTAGE_S,
                posts=len(sent),
                hits=len(expected),
            )
        finally:
            if producer is not None:
                producer.stop()
            worker.stop()
            _delete_topics(settings)  # the index goes with the private node's state dir


def _delete_topics(settings: Settings) -> None:
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap)
    try:
        names = [t for t in admin.list_topics() if t.startswith(settings.worker.app_id)]
        if names:
            admin.delete_topics(names)
    finally:
        admin.close()
