"""API intake without services: the ingest token, 400s naming the field, the batch and text caps,
the body cap, report posts (stable ids, reporter kept) and 503 when Kafka does not store them.
The publisher is a recorder: these tests are about what the API decides, not about Kafka
(tests/integration/test_api_intake.py publishes for real)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from pydantic import SecretStr

from models.records import Post
from pipeline.api.app import create_app
from pipeline.api.errors import IntakeUnavailable
from pipeline.api.intake import ReportRequest, report_id, report_post
from pipeline.api.params import ParamError
from pipeline.api.service import HitService
from pipeline.settings import Settings

UNREACHABLE = "http://127.0.0.1:1"
AUTH = {"Authorization": "Bearer s3cret"}
NOW = datetime(2024, 11, 6, 12, 0, tzinfo=UTC)


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.published: list[Post] = []
        self.fail = fail

    def publish(self, posts: Sequence[Post]) -> None:
        if self.fail:
            raise IntakeUnavailable("broker down")
        self.published.extend(posts)


def client_for(recorder: Recorder, **api: Any) -> TestClient:
    base = Settings()
    settings = base.model_copy(
        update={
            "api": base.api.model_copy(update={"token": SecretStr("s3cret"), **api}),
            "worker": base.worker.model_copy(update={"max_post_chars": 100}),
        }
    )
    service = HitService(Elasticsearch(UNREACHABLE, max_retries=0), settings)
    return TestClient(create_app(settings, service, intake=recorder))


def post_json(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"partner:{i}",
        "platform": "x",
        "source": "partner-feed",
        "text": f"The election was stolen #{i}",
        "created_at": "2024-11-06T10:00:00Z",
        **extra,
    }


REPORT = {
    "text": "They are  shredding ballots in the county office",
    "url": "https://x.com/someone/status/1",
    "platform": "x",
    "reporter": {"id": "tipline-17", "handle": "@ana"},
    "category": "election-fraud-claim",
    "note": "seen in three groups",
}


def test_ingest_publishes_the_batch_and_answers_202_with_ids() -> None:
    recorder = Recorder()
    api = client_for(recorder)
    response = api.post("/api/ingest", json={"posts": [post_json(1), post_json(2)]}, headers=AUTH)
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "post_ids": ["partner:1", "partner:2"]}
    assert [p.id for p in recorder.published] == ["partner:1", "partner:2"]
    assert recorder.published[0].source == "partner-feed"


@pytest.mark.parametrize("path", ["/api/ingest", "/api/reports"])
def test_intake_needs_the_token(path: str) -> None:
    recorder = Recorder()
    api = client_for(recorder)
    body = {"posts": [post_json(1)]} if path == "/api/ingest" else REPORT
    assert api.post(path, json=body).status_code == 401
    wrong = api.post(path, json=body, headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 403
    assert recorder.published == []


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"posts": [post_json(1, created_at="yesterday")]}, "posts.0.created_at"),
        ({"posts": [post_json(1), {**post_json(2), "text": "   "}]}, "posts.1.text"),
        ({"posts": [post_json(1, colour="red")]}, "posts.0.colour"),
        ({"posts": []}, "posts"),
        ({"items": []}, "posts"),
        ({"posts": [post_json(1, text="x" * 101)]}, "posts.0.text"),
    ],
)
def test_ingest_bad_body_is_400_naming_the_field(body: dict[str, Any], parameter: str) -> None:
    recorder = Recorder()
    response = client_for(recorder).post("/api/ingest", json=body, headers=AUTH)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_parameter"
    assert response.json()["parameter"] == parameter
    assert recorder.published == []


def test_not_json_is_400_naming_the_body() -> None:
    response = client_for(Recorder()).post(
        "/api/ingest", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["parameter"] == "body"


def test_batch_length_and_body_size_are_capped() -> None:
    recorder = Recorder()
    api = client_for(recorder, ingest_max_posts=2)
    over = api.post("/api/ingest", json={"posts": [post_json(i) for i in range(3)]}, headers=AUTH)
    assert over.status_code == 400 and over.json()["parameter"] == "posts"
    small = client_for(recorder, max_body_bytes=2048)
    big = small.post("/api/ingest", json={"posts": [post_json(i) for i in range(40)]}, headers=AUTH)
    assert big.status_code == 413
    assert recorder.published == []


def test_report_becomes_a_post_that_keeps_the_reporter() -> None:
    recorder = Recorder()
    api = client_for(recorder)
    response = api.post("/api/reports", json=REPORT, headers=AUTH)
    assert response.status_code == 202
    (post,) = recorder.published
    assert response.json() == {"accepted": 1, "post_ids": [post.id]}
    assert post.id.startswith("report:")
    assert post.source == "report:tipline-17"
    assert post.platform == "x"
    assert post.text == "They are shredding ballots in the county office"
    assert post.url == REPORT["url"]
    assert post.raw is not None
    report = post.raw["report"]
    assert report["reporter"] == {"id": "tipline-17", "handle": "@ana"}
    assert report["category"] == "election-fraud-claim"
    assert report["note"] == "seen in three groups"


def test_a_resent_report_has_the_same_id_another_reporter_another() -> None:
    recorder = Recorder()
    api = client_for(recorder)
    first = api.post("/api/reports", json=REPORT, headers=AUTH).json()["post_ids"]
    spaced = {**REPORT, "text": REPORT["text"] + "  ", "note": "again"}
    again = api.post("/api/reports", json=spaced, headers=AUTH).json()["post_ids"]
    other = {**REPORT, "reporter": {"id": "tipline-18"}}
    third = api.post("/api/reports", json=other, headers=AUTH).json()["post_ids"]
    assert first == again
    assert third != first


@pytest.mark.parametrize(
    ("change", "parameter"),
    [
        ({"text": None, "url": None}, "text"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"platform": "no spaces allowed"}, "platform"),
        ({"category": "Not A Slug"}, "category"),
        ({"reporter": {"handle": "@ana"}}, "reporter.id"),
        ({"text": "y" * 101}, "text"),
    ],
)
def test_report_bad_body_is_400_naming_the_field(change: dict[str, Any], parameter: str) -> None:
    recorder = Recorder()
    response = client_for(recorder).post("/api/reports", json={**REPORT, **change}, headers=AUTH)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter
    assert recorder.published == []


def test_url_only_report_is_matched_on_its_url() -> None:
    request = ReportRequest.model_validate({**REPORT, "text": None})
    post = report_post(request, now=NOW, max_chars=1000)
    assert post.text == REPORT["url"]
    assert post.created_at == NOW
    assert post.id == report_id("tipline-17", "x", None, REPORT["url"])
    with pytest.raises(ParamError):
        report_post(
            ReportRequest.model_validate({**REPORT, "text": " ", "url": None}), now=NOW, max_chars=9
        )


def test_kafka_not_storing_the_posts_is_503_with_retry_after() -> None:
    response = client_for(Recorder(fail=True)).post("/api/reports", json=REPORT, headers=AUTH)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json()["error"] == "unavailable"
