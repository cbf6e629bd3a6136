"""Connectors against the real Kafka broker: posts and dead letters land where, and as, promised."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry

from connectors.jsonl import JsonlConnector
from connectors.publisher import DeliveryMetrics, Publisher
from connectors.replay import replay
from connectors.topics import ensure_topics
from models.records import DeadLetter, Post
from pipeline.metrics import DEAD_LETTERED, PRODUCER_SENT, Metrics

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
