"""Reviewing through the API against real Elasticsearch and Kafka: 401/403, the state change,
the audit entry (who, when, before, after, note), the review event on the reviews topic, and
that a redelivered hit keeps its review."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from pydantic import SecretStr

from pipeline.api.app import create_app
from pipeline.api.reviews import KafkaReviewPublisher
from pipeline.api.service import HitService
from pipeline.api.tokens import scrypt_hash, sha256_hex
from pipeline.elastic.schema import ensure_hits_index, names
from pipeline.settings import Settings
from tests.unit.elastic.hits import index_hits, seed_hits

pytestmark = pytest.mark.integration

HIT = "bsky:1:n-rigged"
# ana's reviewer token; the X-Reviewer header is ignored (identity comes from the token)
AUTH = {"Authorization": "Bearer s3cret", "X-Reviewer": "mallory"}
VIEWER = {"Authorization": "Bearer v1ewer"}
ADMIN = {"Authorization": "Bearer adm1n"}  # the single NARRMON_API__TOKEN of older set-ups


@pytest.fixture
def reviews_topic(kafka_bootstrap: str, unique_name: str) -> Iterator[str]:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(unique_name, num_partitions=1, replication_factor=1)])
    yield unique_name
    admin.delete_topics([unique_name])
    admin.close()


@pytest.fixture
def reviewing(
    es: Elasticsearch, settings: Settings, unique_name: str, reviews_topic: str, tmp_path: Path
) -> Iterator[tuple[TestClient, Settings]]:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        "tokens:\n"
        f"  - {{user: ana, roles: [reviewer], sha256: {sha256_hex('s3cret')}}}\n"
        f"  - {{user: vic, roles: [viewer], hash: '{scrypt_hash('v1ewer', n=2**10)}'}}\n"
    )
    mine = settings.model_copy(
        update={
            "elasticsearch": settings.elasticsearch.model_copy(
                update={"index_prefix": f"t-{unique_name}"}
            ),
            "api": settings.api.model_copy(
                update={"token": SecretStr("adm1n"), "tokens_file": tokens}
            ),
            "topics": settings.topics.model_copy(update={"reviews": reviews_topic}),
        }
    )
    alias = ensure_hits_index(es, mine, dims=4)
    index_hits(es, alias, seed_hits())
    publisher = KafkaReviewPublisher(mine.kafka.bootstrap, reviews_topic)
    service = HitService(es, mine, publisher=publisher)
    yield TestClient(create_app(mine, service)), mine
    publisher.close()
    es.options(ignore_status=404).indices.delete(
        index=f"{names.prefix(mine)}-*", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=names.hits_template_name(mine))


def test_review_needs_a_token_with_the_reviewer_role(
    reviewing: tuple[TestClient, Settings],
) -> None:
    api, _ = reviewing
    body = {"label": "confirmed"}
    missing = api.post(f"/api/hits/{HIT}/review", json=body)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = api.post(
        f"/api/hits/{HIT}/review", json=body, headers={"Authorization": "Bearer guess"}
    )
    assert wrong.status_code == 403
    viewer = api.post(f"/api/hits/{HIT}/review", json=body, headers=VIEWER)  # scrypt-hashed
    assert viewer.status_code == 403 and "reviewer" in viewer.json()["detail"]
    assert api.get(f"/api/hits/{HIT}").json()["review"]["state"] == "unreviewed"
    admin = api.post(f"/api/hits/{HIT}/review", json=body, headers=ADMIN)
    assert admin.status_code == 200 and admin.json()["review"]["reviewer"] == "api-token"


def test_a_failed_review_write_leaves_no_audit_entry_and_a_lost_settle_loses_nothing(
    reviewing: tuple[TestClient, Settings], es: Elasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.api import review_service
    from pipeline.elastic.audit import AuditLog
    from pipeline.elastic.errors import ElasticUnavailable

    api, mine = reviewing

    def down(*args: object, **kwargs: object) -> None:
        raise ElasticUnavailable("elasticsearch answered 503")

    with monkeypatch.context() as patch:
        patch.setattr(review_service, "set_review", down)
        failed = api.post(f"/api/hits/{HIT}/review", json={"label": "confirmed"}, headers=AUTH)
    assert failed.status_code == 503
    detail = api.get(f"/api/hits/{HIT}").json()
    assert detail["review"]["state"] == "unreviewed" and detail["history"] == []
    stored = AuditLog(es, mine).entries(HIT)
    assert [e["status"] for e in stored] == ["pending"]  # written first, never part of the trail

    with monkeypatch.context() as patch:
        patch.setattr(AuditLog, "settle", lambda self, audit_id, status: False)
        done = api.post(f"/api/hits/{HIT}/review", json={"label": "confirmed"}, headers=AUTH)
    assert done.status_code == 200
    detail = api.get(f"/api/hits/{HIT}").json()
    assert detail["review"]["audit_id"] == done.json()["audit_id"]
    assert [(h["audit_id"], h["status"]) for h in detail["history"]] == [
        (done.json()["audit_id"], "pending")  # never settled, still the trail's entry
    ]


def test_review_bad_label_unknown_hit(reviewing: tuple[TestClient, Settings]) -> None:
    api, _ = reviewing
    bad = api.post(f"/api/hits/{HIT}/review", json={"label": "spam"}, headers=AUTH)
    assert bad.status_code == 400 and bad.json()["parameter"] == "label"
    unknown = api.post("/api/hits/nope/review", json={"label": "confirmed"}, headers=AUTH)
    assert unknown.status_code == 404


def test_review_updates_audits_and_publishes(
    reviewing: tuple[TestClient, Settings], es: Elasticsearch, kafka_bootstrap: str
) -> None:
    api, mine = reviewing
    first = api.post(
        f"/api/hits/{HIT}/review",
        json={"label": "false_positive", "note": "satire account"},
        headers=AUTH,
    )
    assert first.status_code == 200, first.text
    assert first.json()["published"] is True
    second = api.post(
        f"/api/hits/{HIT}/review", json={"label": "needs_context"}, headers=AUTH
    ).json()
    assert second["previous"]["state"] == "false_positive"

    detail = api.get(f"/api/hits/{HIT}").json()
    assert detail["review"]["state"] == "needs_context"
    assert detail["review"]["reviewer"] == "ana"
    history = detail["history"]
    assert [(h["before"]["state"], h["after"]["state"]) for h in history] == [
        ("unreviewed", "false_positive"),
        ("false_positive", "needs_context"),
    ]
    assert history[0]["reviewer"] == "ana" and history[0]["note"] == "satire account"
    assert history[0]["at"]
    found = api.get("/api/search", params={"review": "needs_context"}).json()
    assert [h["id"] for h in found["hits"]] == [HIT]

    # At-least-once delivery re-indexes the same hit: the review survives.
    hit = next(h for h in seed_hits() if h.id == HIT)
    index_hits(es, f"{names.prefix(mine)}-hits", [hit])
    assert api.get(f"/api/hits/{HIT}").json()["review"]["state"] == "needs_context"

    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        mine.topics.reviews,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=10_000,
    )
    events = []
    for message in consumer:
        events.append((message.key.decode(), json.loads(message.value)))
        if len(events) == 2:
            break
    consumer.close()
    assert [(k, e["label"], e["previous_state"]) for k, e in events] == [
        (HIT, "false_positive", "unreviewed"),
        (HIT, "needs_context", "false_positive"),
    ]
    assert events[0][1]["reviewer"] == "ana" and events[0][1]["narrative_id"] == "n-rigged"
