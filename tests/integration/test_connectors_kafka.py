"""Connectors against the real Kafka broker: posts and dead letters land where, and as, promised."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry

from connectors.jsonl import JsonlConnector
from connectors.publisher import DeliveryMetrics, Publisher
from connectors.replay import replay
from connectors.topics import ensure_topics
from models.dead_letters import DeadLetter
from models.records import Post
from pipeline.metrics import DEAD_LETTERED, PRODUCER_CONNECTED, PRODUCER_SENT, Metrics
from pipeline.settings import Settings

pytestmark = pytest.mark.integration

GOOD = [
    {
        "id": str(i),
        "platform": "x",
        "text": f"Polls close at 8, post {i}",
        "created_at": "2024-11-06T00:00:00Z",
    }
    for i in range(1, 4)
]
BAD = [
    b'{"id": "4", "platform": "x", "text": "no closing brace"',
    b'{"id": "5", "platform": "x", "text": "caf\xe9"}',
    b'{"id": "6", "platform": "x"}',
    json.dumps({"id": "7", "platform": "x", "text": "word " * 30}).encode(),
]
BAD_REASONS = ["malformed_json", "invalid_utf8", "missing_text", "oversized"]


@pytest.fixture
def topics(kafka_bootstrap: str, unique_name: str) -> Iterator[tuple[str, str]]:
    names = (unique_name, f"{unique_name}.dlq")
    yield names
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.delete_topics([n for n in names if n in set(admin.list_topics())])
    finally:
        admin.close()


def consume(bootstrap: str, topic: str, expected: int, timeout_s: float = 20.0) -> list[Any]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    records: list[Any] = []
    try:
        for record in consumer:
            records.append(record)
            if len(records) >= expected:
                break
        # Anything beyond `expected` would arrive within a short extra poll.
        extra = consumer.poll(timeout_ms=1000)
        records.extend(r for batch in extra.values() for r in batch)
    finally:
        consumer.close()
    return records


def test_good_lines_go_to_posts_and_bad_lines_to_the_dead_letter_topic(
    kafka_bootstrap: str, topics: tuple[str, str], tmp_path: Path
) -> None:
    posts_topic, dlq_topic = topics
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(GOOD[0]).encode(), BAD[0], BAD[1], json.dumps(GOOD[1]).encode()]
    lines += [BAD[2], BAD[3], json.dumps(GOOD[2]).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    created = ensure_topics(kafka_bootstrap, [posts_topic, dlq_topic], partitions=3, replication=1)
    assert sorted(created) == sorted(topics)

    metrics = Metrics(CollectorRegistry())
    delivery = DeliveryMetrics(
        sent=metrics.producer_sent,
        failures=metrics.producer_delivery_failures,
        last_post=metrics.connector_last_post,
        dead_lettered=metrics.dead_lettered,
        connected=metrics.producer_connected,
    )
    connector = JsonlConnector([path], source="it")
    with Publisher(
        kafka_bootstrap,
        topic=posts_topic,
        dead_letter_topic=dlq_topic,
        source="it",
        metrics=delivery,
    ) as publisher:
        summary = replay(connector, publisher, max_chars=100)
        publisher.flush()
    assert (summary.published, summary.dead_lettered) == (3, 4)
    assert (publisher.stats.posts_acked, publisher.stats.dead_letters_acked) == (3, 4)
    assert publisher.stats.posts_failed == publisher.stats.dead_letters_failed == 0

    posts = consume(kafka_bootstrap, posts_topic, expected=3)
    assert sorted(r.key for r in posts) == [b"x:1", b"x:2", b"x:3"]
    for record in posts:
        post = Post.model_validate_json(record.value)
        assert post.id.encode() == record.key and post.source == "it"

    letters = consume(kafka_bootstrap, dlq_topic, expected=4)
    assert len(letters) == 4
    by_key = {r.key.decode(): DeadLetter.model_validate_json(r.value) for r in letters}
    expected_keys = {
        f"{path}:{n}": reason for n, reason in zip([2, 3, 5, 6], BAD_REASONS, strict=True)
    }
    assert {k: v.reason for k, v in by_key.items()} == expected_keys
    for number, raw in zip([2, 3, 5, 6], BAD, strict=True):
        assert by_key[f"{path}:{number}"].original() == raw

    registry = metrics.registry
    assert registry.get_sample_value(f"{PRODUCER_SENT}_total", {"source": "it"}) == 3
    # ConnectorBrokerUnreachable reads this: the producer reached its bootstrap broker
    assert registry.get_sample_value(PRODUCER_CONNECTED, {"source": "it"}) == 1
    for reason in BAD_REASONS:
        labels = {"reason": reason, "source": "it"}
        assert registry.get_sample_value(f"{DEAD_LETTERED}_total", labels) == 1


def test_ensure_topics_is_idempotent(kafka_bootstrap: str, topics: tuple[str, str]) -> None:
    from kafka.admin import KafkaAdminClient

    assert sorted(ensure_topics(kafka_bootstrap, topics, partitions=2, replication=1)) == sorted(
        topics
    )
    assert ensure_topics(kafka_bootstrap, topics, partitions=2, replication=1) == []
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = admin.describe_topics(list(topics))
    finally:
        admin.close()
    assert [len(t["partitions"]) for t in described] == [2, 2]


def test_cli_ingest_creates_topics_and_reports_json(
    kafka_bootstrap: str, topics: tuple[str, str]
) -> None:
    from pipeline.cli import main

    demo = Path(__file__).resolve().parents[2] / "pipeline" / "demo_data"
    posts_topic, dlq_topic = topics
    result = CliRunner().invoke(
        main,
        [
            "ingest", "jsonl", str(demo / "malformed.jsonl"),
            "--topic", posts_topic, "--dead-letter-topic", dlq_topic, "--json",
        ],
        env={"NARRMON_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["published"] == summary["acknowledged"] == 2
    assert summary["dead_lettered"] == summary["dead_letters_acknowledged"] == 9
    assert summary["by_reason"] == {
        "invalid_utf8": 1,
        "malformed_json": 1,
        "missing_text": 2,
        "oversized": 1,
        "schema_error": 4,
    }
    assert summary["delivery_failures"] == 0
    assert len(consume(kafka_bootstrap, dlq_topic, expected=9)) == 9


def _metrics_port_from(stderr: IO[str], timeout_s: float) -> int:
    """The port in ingest's "metrics on http://host:PORT/metrics" line (bounded wait)."""
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stderr], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = stderr.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"metrics on http://[^:]+:(\d+)/metrics", line)
        if match:
            return int(match.group(1))
    raise AssertionError(f"ingest printed no metrics address within {timeout_s:.0f}s: {seen}")


def test_cli_ingest_metrics_port_is_scraped_by_prometheus(
    stack: Settings, topics: tuple[str, str], tmp_path: Path, unique_name: str
) -> None:
    from pipeline.stack.layout import StackLayout
    from pipeline.worker_process import settings_env

    posts_topic, dlq_topic = topics
    source = f"it-{unique_name}"
    start = datetime(2024, 11, 6, tzinfo=UTC)
    # Paced two seconds apart: the replay runs for a minute unless the test stops it first.
    lines = [
        {
            "id": str(i),
            "platform": "x",
            "text": f"Polls close at 8, post {i}",
            "created_at": (start + timedelta(seconds=2 * i)).isoformat(),
        }
        for i in range(30)
    ]
    path = tmp_path / "paced.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRMON_")}
    command = [
        sys.executable, "-c", "from pipeline.cli import main; main()",
        "ingest", "jsonl", str(path), "--source", source, "--speed", "original",
        "--topic", posts_topic, "--dead-letter-topic", dlq_topic,
        "--no-progress", "--metrics-port", "0",
        "--register-with", str(StackLayout.of(stack).scrape_targets_dir),
    ]  # fmt: skip
    proc = subprocess.Popen(
        command,
        env=env | settings_env(stack),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    targets = StackLayout.of(stack).scrape_targets_dir
    try:
        port = _metrics_port_from(proc.stderr, timeout_s=30)  # type: ignore[arg-type]
        (target,) = targets.glob(f"narrmon-connector--{source}-*-{port}.json")
        assert json.loads(target.read_text())[0]["targets"] == [f"127.0.0.1:{port}"]

        query = (
            f'narrmon_producer_sent_total{{job="narrmon-connector",source="{source}",'
            f'instance="127.0.0.1:{port}"}} >= 1'
        )
        deadline = time.monotonic() + 45
        result: list[Any] = []
        while not result and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            response = httpx.get(
                f"{stack.prometheus.url}/api/v1/query", params={"query": query}, timeout=10
            )
            response.raise_for_status()
            result = response.json()["data"]["result"]
            if not result:
                time.sleep(1)
        assert result, f"Prometheus did not scrape {PRODUCER_SENT}_total for {source} in 45 s"
        assert float(result[0]["value"][1]) >= 1
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    # SIGTERM mid-replay exits through the clean-up: the scrape target is gone.
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert not list(targets.glob(f"narrmon-connector--{source}-*"))
