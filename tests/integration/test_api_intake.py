"""API intake against the real Kafka: ``POST /api/ingest`` and ``POST /api/reports`` put records
on the posts topic (key = post id, value = the `Post` with the reporter kept), and a re-sent
report carries the same id."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from pydantic import SecretStr

from models.records import Post
from pipeline.api.app import create_app
from pipeline.api.post_publisher import KafkaPostPublisher
from pipeline.api.service import HitService
from pipeline.settings import Settings

pytestmark = pytest.mark.integration

AUTH = {"Authorization": "Bearer s3cret"}


@pytest.fixture
def intake(
    es: Elasticsearch, settings: Settings, unique_name: str, kafka_bootstrap: str
) -> Iterator[tuple[TestClient, str]]:
    from kafka.admin import KafkaAdminClient, NewTopic

    topic = f"{unique_name}.posts"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    mine = settings.model_copy(
        update={
            "api": settings.api.model_copy(update={"token": SecretStr("s3cret")}),
            "topics": settings.topics.model_copy(update={"posts": topic}),
        }
    )
    publisher = KafkaPostPublisher(mine)
    try:
        yield TestClient(create_app(mine, HitService(es, mine), intake=publisher)), topic
    finally:
        publisher.close()
        admin.delete_topics([topic])
        admin.close()


def read_posts(bootstrap: str, topic: str, expected: int) -> list[tuple[str, Post]]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=1000
    )
    records: list[tuple[str, Post]] = []
    deadline = time.monotonic() + 20
    while len(records) < expected and time.monotonic() < deadline:
        records.extend((m.key.decode(), Post.model_validate_json(m.value)) for m in consumer)
    consumer.close()
    return records


def test_ingest_and_reports_land_on_the_posts_topic(
    intake: tuple[TestClient, str], kafka_bootstrap: str
) -> None:
    api, topic = intake
    posts = [
        {
            "id": f"partner:{i}",
            "platform": "bluesky",
            "source": "partner-feed",
            "text": f"Dead people voted in the election #{i}",
            "created_at": "2024-11-06T10:00:00Z",
            "author": {"handle": "someone.bsky.social"},
        }
        for i in range(3)
    ]
    ingested = api.post("/api/ingest", json={"posts": posts}, headers=AUTH)
    assert ingested.status_code == 202, ingested.text
    report = {
        "text": "Voting machines switched votes in my county",
        "platform": "x",
        "reporter": {"id": "tipline-9", "handle": "@ana"},
        "category": "voting-machines",
        "note": "forwarded by a poll worker",
    }
    first = api.post("/api/reports", json=report, headers=AUTH)
    again = api.post("/api/reports", json={**report, "note": "sent twice"}, headers=AUTH)
    assert first.status_code == again.status_code == 202
    report_id = first.json()["post_ids"][0]
    assert again.json()["post_ids"] == [report_id]

    records = read_posts(kafka_bootstrap, topic, 5)
    assert len(records) == 5
    by_key: dict[str, list[Post]] = {}
    for key, post in records:
        assert key == post.id
        by_key.setdefault(key, []).append(post)
    assert sorted(by_key) == sorted([*ingested.json()["post_ids"], report_id])
    partner = by_key["partner:1"][0]
    assert partner.source == "partner-feed" and partner.author.handle == "someone.bsky.social"
    assert partner.text == "Dead people voted in the election #1"
    reported = by_key[report_id]
    assert len(reported) == 2  # the same post twice: the index keeps one hit per narrative
    assert {p.source for p in reported} == {"report:tipline-9"}
    assert reported[0].platform == "x"
    assert reported[0].raw is not None
    assert reported[0].raw["report"]["reporter"] == {"id": "tipline-9", "handle": "@ana"}
    assert reported[0].raw["report"]["category"] == "voting-machines"
