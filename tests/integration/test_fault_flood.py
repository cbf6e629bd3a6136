"""A flood of 10x the worker's measured capacity (real Kafka and Elasticsearch, a private
Prometheus scraping the worker every second).

The worker's capacity is measured first (posts/s over a calibration batch). Then posts arrive
at `FACTOR` times that rate for `FLOOD_S` seconds (the test default keeps the whole test near
90 s on 2 cores: the backlog takes FACTOR x FLOOD_S seconds to drain; ``benchmarks/
fault_figures.py`` runs it for 60 s). Checked: the worker's RSS, sampled every 0.5 s, stays
under `MEMORY_BOUND` (its RSS after calibration plus `HEADROOM`: Faust's fetch buffers are
bounded, the backlog stays in Kafka); the lag alert's expression (PipelineConsumerLagHigh, from
the repository's rules, with its threshold scaled to the flood) holds for the posts topic
through the real Prometheus; the backlog drains afterwards (lag back to 0, every post
processed), without a restart."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kafka import KafkaProducer

from models.records import Post
from pipeline.settings import Settings
from pipeline.stack.layout import DEPLOY_DIR
from pipeline.worker_process import WorkerProcess, total
from tests.integration.faults import record_figure, rss_bytes, wait_until
from tests.integration.private_stack import private_stack
from tests.integration.test_pipeline_worker import (
    TEXTS,
    cleanup,
    produce,
    scenario_settings,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FACTOR = 10
FLOOD_S = float(os.environ.get("NARRMON_FAULT_FLOOD_S", "5"))
CALIBRATION = 150
HEADROOM = 512 * 2**20
"""The bound: RSS after calibration + 512 MiB."""


def _records(prefix: str, start: int, count: int) -> list[tuple[bytes | None, bytes]]:
    now = datetime.now(UTC)
    posts = [
        Post(
            id=f"fl:{prefix}-{i}",
            platform="x",
            source="flood",
            text=f"{TEXTS[i % len(TEXTS)]} #{i}",
            created_at=now,
        )
        for i in range(start, start + count)
    ]
    return [(p.id.encode(), p.model_dump_json().encode()) for p in posts]


def _lag_alert_expr(threshold: int) -> str:
    rules = yaml.safe_load((DEPLOY_DIR / "prometheus" / "rules" / "alerts.yml").read_text())
    (rule,) = [
        r
        for g in rules["groups"]
        for r in g["rules"]
        if r.get("alert") == "PipelineConsumerLagHigh"
    ]
    expr: str = rule["expr"]
    assert "> 5000" in expr
    return expr.replace("> 5000", f"> {threshold}")


def test_flood_of_ten_times_capacity_bounded_memory_lag_alert_and_drain(
    stack: Settings, es: Any, tmp_path: Path
) -> None:
    with private_stack(stack, "prometheus") as private:
        base = private.settings.model_copy(
            update={"kafka": stack.kafka, "elasticsearch": stack.elasticsearch}
        )
        settings = scenario_settings(base, tmp_path)
        settings = settings.model_copy(
            update={
                "worker": settings.worker.model_copy(
                    update={"batch_size": 32, "lag_interval_s": 0.5}
                )
            }
        )
        prefix = settings.worker.app_id
        worker = WorkerProcess(
            settings, tmp_path / "worker.log", register_with=private.layout.scrape_targets_dir
        )
        try:
            worker.start()
            worker.wait_ready()
            assert worker.proc is not None
            pid = worker.proc.pid
            produce(settings.kafka.bootstrap, settings.topics.posts, _records(prefix, 0, 20))
            wait_for(worker, lambda s: total(s, "narrmon_posts_processed_total") >= 20)

            started = time.monotonic()
            produce(
                settings.kafka.bootstrap, settings.topics.posts, _records(prefix, 20, CALIBRATION)
            )
            wait_for(
                worker, lambda s: total(s, "narrmon_posts_processed_total") >= 20 + CALIBRATION
            )
            capacity = CALIBRATION / (time.monotonic() - started)
            baseline = rss_bytes(pid)
            bound = baseline + HEADROOM

            rate = FACTOR * capacity
            flood = int(rate * FLOOD_S)
            peak = [baseline]
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.is_set():
                    peak[0] = max(peak[0], rss_bytes(pid))
                    sampling.wait(0.5)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            first = 20 + CALIBRATION
            records = _records(prefix, first, flood)
            producer = KafkaProducer(bootstrap_servers=settings.kafka.bootstrap, acks="all")
            flood_started = time.monotonic()
            for tick in range(int(FLOOD_S * 10)):  # ten chunks a second, at the flood rate
                low, high = (int(flood * t / (FLOOD_S * 10)) for t in (tick, tick + 1))
                for key, value in records[low:high]:
                    producer.send(settings.topics.posts, key=key, value=value)
                time.sleep(max(0.0, flood_started + (tick + 1) / 10 - time.monotonic()))
            producer.flush()
            producer.close()
            first += flood
            flooded_s = time.monotonic() - flood_started

            expr = _lag_alert_expr(threshold=flood // 2)

            def lag_alert() -> list[dict[str, Any]]:
                response = httpx.get(
                    f"{private.settings.prometheus.url}/api/v1/query",
                    params={"query": expr},
                    timeout=10,
                )
                result: list[dict[str, Any]] = response.json()["data"]["result"]
                return [r for r in result if r["metric"].get("topic") == settings.topics.posts]

            assert flood / flooded_s >= 0.9 * rate, "the flood must reach ~10x capacity"
            fired = wait_until(lag_alert, 60, "the lag alert's expression to hold", poll_s=1.0)
            assert float(fired[0]["value"][1]) > flood // 2

            drained_started = time.monotonic()
            wait_for(
                worker,
                lambda s: total(s, "narrmon_posts_processed_total") >= first,
                timeout_s=FACTOR * FLOOD_S * 3 + 120,
            )
            drain_s = time.monotonic() - drained_started
            sampling.set()
            sampler.join()
            # the figure first, so a run that breaks the bound still reports what it measured
            record_figure(
                "flood_memory",
                capacity_posts_per_s=round(capacity, 1),
                flood_posts_per_s=round(flood / flooded_s, 1),
                flood_s=round(flooded_s, 1),
                flood_posts=flood,
                rss_after_calibration_mib=round(baseline / 2**20),
                peak_rss_mib=round(peak[0] / 2**20),
                bound_mib=round(bound / 2**20),
                drain_s=round(drain_s, 1),
                within_bound=peak[0] < bound,
            )
            assert worker.proc.poll() is None and worker.proc.pid == pid
            assert peak[0] < bound, f"RSS {peak[0] / 2**20:.0f} MiB >= {bound / 2**20:.0f} MiB"
        finally:
            worker.stop()
            cleanup(es, settings, settings.kafka.bootstrap)
