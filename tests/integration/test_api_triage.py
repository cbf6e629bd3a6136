"""The triage queue, the public explanation, escalations and spikes through the HTTP API against
the real Elasticsearch: every endpoint, access (401/403 on writes), bad input answered 400 with
the parameter named, escalations audited in the hit's history and exported as a tracking sheet.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from models.records import Hit, NarrativeRef
from models.threat import assess
from pipeline.api.app import create_app
from pipeline.api.service import HitService
from pipeline.api.tokens import sha256_hex
from pipeline.elastic.alerts import ALERTS_MAPPINGS, spike_document
from pipeline.elastic.schema import ensure_hits_index, names
from pipeline.elastic.schema.mapping import AUDIT_MAPPING_VERSION
from pipeline.settings import Settings
from pipeline.spikes.records import Spike, SpikeExample
from tests.unit.elastic.hits import index_hits, make_hit

pytestmark = pytest.mark.integration

AUTH = {"Authorization": "Bearer s3cret"}  # ana's reviewer token: who escalates comes from it
DOXXING = NarrativeRef(
    id="n-doxxing", title="Expose election workers", severity="critical", verdict="harmful",
    tags=("doxxing",), why_tracked="Puts workers at risk.",
    fact_checks=({"url": "https://fc.example/dox", "publisher": "FC"},),  # type: ignore[arg-type]
)  # fmt: skip


def scored(hit: Hit) -> Hit:
    return hit.model_copy(update={"threat": assess(hit.post, hit.narrative, hit.stance)})


def triage_hits() -> list[Hit]:
    """Four hits whose threat order differs from their time and score order."""
    low = make_hit("bsky:1", "rigged", severity="medium", score=0.9, stance="debunks")
    high = make_hit("bsky:2", "rigged again", severity="high", followers=50_000, score=0.6)
    dox = make_hit("x:3", "find the clerk", platform="x", followers=100, score=0.65)
    dox = dox.model_copy(update={"narrative": DOXXING, "id": Hit.make_id("x:3", DOXXING.id)})
    reviewed = make_hit("bsky:4", "machines", severity="critical", followers=10**6, score=0.8)
    return [scored(h) for h in (low, high, dox, reviewed)]


@pytest.fixture
def api(
    es: Elasticsearch, settings: Settings, unique_name: str, tmp_path: Path
) -> Iterator[TestClient]:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        f"tokens:\n  - {{user: ana, roles: [reviewer], sha256: {sha256_hex('s3cret')}}}\n"
    )
    mine = settings.model_copy(
        update={
            "elasticsearch": settings.elasticsearch.model_copy(
                update={"index_prefix": f"t-{unique_name}"}
            ),
            "api": settings.api.model_copy(update={"tokens_file": tokens}),
        }
    )
    alias = ensure_hits_index(es, mine, dims=4)
    index_hits(es, alias, triage_hits())
    yield TestClient(create_app(mine, HitService(es, mine, publisher=None)))
    es.options(ignore_status=404).indices.delete(
        index=f"{names.prefix(mine)}-*", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=names.hits_template_name(mine))


def test_triage_is_the_default_order_unreviewed_then_threat(api: TestClient) -> None:
    review = api.post("/api/hits/bsky:4:n-rigged/review", json={"label": "confirmed"}, headers=AUTH)
    assert review.status_code == 200, review.text
    body = api.get("/api/search", params={"size": 2}).json()
    ids = [h["id"] for h in body["hits"]]
    levels = [h["fields"]["threat.level"] for h in body["hits"]]
    assert ids == ["x:3:n-doxxing", "bsky:2:n-rigged"] and levels == ["high", "moderate"]
    rest = api.get("/api/search", params={"size": 2, "cursor": body["next"]}).json()
    # the debunking post is unreviewed but low; the reviewed critical one comes last
    assert [h["id"] for h in rest["hits"]] == ["bsky:1:n-rigged", "bsky:4:n-rigged"]
    by_threat = api.get("/api/search", params={"sort": "threat"}).json()
    # by threat alone, the reviewed critical hit (60) is second, after the doxxing one (66.7)
    assert [h["id"] for h in by_threat["hits"][:2]] == ["x:3:n-doxxing", "bsky:4:n-rigged"]
    bad = api.get("/api/search", params={"sort": "urgent"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "sort"


def test_explanation_is_plain_and_public(api: TestClient) -> None:
    api.post("/api/hits/x:3:n-doxxing/review", json={"label": "confirmed", "note": "secret"},
             headers=AUTH)  # fmt: skip
    body = api.get("/api/hits/x:3:n-doxxing/explanation").json()
    assert body["narrative"]["why_tracked"] == "Puts workers at risk."
    assert body["fact_checks"] == [
        {"url": "https://fc.example/dox", "publisher": "FC", "rating": None}
    ]
    assert body["review"]["state"] == "confirmed"
    assert "A reviewer confirmed" in body["text"] and "secret" not in str(body)
    assert "ana" not in str(body)
    assert api.get("/api/hits/nope/explanation").status_code == 404
    detail = api.get("/api/hits/x:3:n-doxxing").json()  # the analyst view keeps the threat
    assert detail["hit"]["threat"]["targeting"]["value"] == 1.0
    exported = api.get("/api/export", params={"format": "csv", "post": "x:3"})
    (row,) = list(csv.DictReader(exported.text.splitlines()))
    assert row["public_explanation.text"].startswith("This post was flagged automatically")
    assert row["threat.level"] == "high"


def test_escalation_lifecycle_audit_summary_and_sheet(api: TestClient) -> None:
    create = {"hit_id": "x:3:n-doxxing", "action": "refer_law_enforcement",
              "channel": "trusted-flagger portal", "reason": "threatens a clerk"}  # fmt: skip
    assert api.post("/api/escalations", json=create).status_code == 401
    wrong = api.post("/api/escalations", json=create, headers={"Authorization": "Bearer no"})
    assert wrong.status_code == 403
    made = api.post("/api/escalations", json=create, headers=AUTH)
    assert made.status_code == 201, made.text
    esc = made.json()
    assert (esc["status"], esc["platform"], esc["threat_level"]) == ("open", "x", "high")
    path = f"/api/escalations/{esc['id']}"
    assert api.patch(path, json={"status": "sent"}).status_code == 401
    sent = api.patch(path, json={"status": "sent", "note": "portal ticket 42"}, headers=AUTH)
    assert sent.status_code == 200 and sent.json()["sent_at"]
    done = api.patch(path, json={"status": "actioned", "outcome": "post removed"}, headers=AUTH)
    assert done.json()["status"] == "actioned" and done.json()["resolved_at"]
    other = {**create, "hit_id": "bsky:2:n-rigged", "action": "label", "reason": "false claim"}
    assert api.post("/api/escalations", json=other, headers=AUTH).status_code == 201

    listed = api.get("/api/escalations", params={"status": "actioned"}).json()
    assert [e["id"] for e in listed["escalations"]] == [esc["id"]]
    summary = api.get("/api/escalations/summary").json()
    assert summary["total"] == {"requested": 2, "sent": 1, "actioned": 1, "declined": 0,
                                "no_response": 0, "pending": 1}  # fmt: skip
    assert [(p["platform"], p["actioned"], p["pending"]) for p in summary["platforms"]] == [
        ("bluesky", 0, 1),
        ("x", 1, 0),
    ]
    history = api.get("/api/hits/x:3:n-doxxing").json()["history"]
    assert [(h["action"], h["escalation"]["status"]) for h in history] == [
        ("escalation_created", "open"),
        ("escalation_updated", "sent"),
        ("escalation_updated", "actioned"),
    ]
    assert history[1]["note"] == "portal ticket 42" and history[1]["reviewer"] == "ana"

    sheet = api.get("/api/escalations/export", params={"format": "csv"})
    rows = list(csv.DictReader(sheet.text.splitlines()))
    assert sorted((r["platform"], r["status"]) for r in rows) == [
        ("bluesky", "open"),
        ("x", "actioned"),
    ]
    as_json = api.get("/api/escalations/export", params={"format": "json"}).json()
    assert as_json["summary"]["total"]["actioned"] == 1


GOOD = {"hit_id": "x:3:n-doxxing", "action": "label", "channel": "c", "reason": "r"}


@pytest.mark.parametrize(
    ("method", "path", "body", "parameter"),
    [
        ("post", "/api/escalations", {**GOOD, "action": "ban"}, "action"),
        ("post", "/api/escalations", {**GOOD, "channel": ""}, "channel"),
        ("post", "/api/escalations", {**GOOD, "reason": "x" * 2001}, "reason"),
        ("post", "/api/escalations", {"action": "label", "channel": "c", "reason": "r"}, "hit_id"),
        ("patch", "/api/escalations/not-an-id", {"status": "sent"}, "escalation_id"),
        ("patch", f"/api/escalations/{'0' * 32}", {"status": "gone"}, "status"),
        ("patch", f"/api/escalations/{'0' * 32}", {"note": "only a note"}, "body"),
        ("get", "/api/escalations?status=lost", None, "status"),
        ("get", "/api/escalations?size=0", None, "size"),
        ("get", "/api/escalations/export?format=xlsx", None, "format"),
        ("get", "/api/spikes?since=yesterday", None, "since"),
        ("get", "/api/spikes?narrative=Not%20A%20Slug", None, "narrative"),
    ],
)  # fmt: skip
def test_bad_input_is_400_naming_the_field(
    api: TestClient, method: str, path: str, body: dict[str, str] | None, parameter: str
) -> None:
    response = api.request(method.upper(), path, json=body, headers=AUTH)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter


def test_unknown_hit_or_escalation_is_404(api: TestClient) -> None:
    body = {"hit_id": "nope", "action": "label", "channel": "c", "reason": "r"}
    assert api.post("/api/escalations", json=body, headers=AUTH).status_code == 404
    missing = api.patch(f"/api/escalations/{'0' * 32}", json={"status": "sent"}, headers=AUTH)
    assert missing.status_code == 404


def test_spikes_list_newest_first_with_their_hits(
    api: TestClient, es: Elasticsearch, unique_name: str
) -> None:
    assert api.get("/api/spikes").json() == {"spikes": []}  # no alerts index yet
    start = datetime.now(UTC).replace(second=0, microsecond=0)

    def spike(minutes_ago: int, narrative: str) -> Spike:
        window = start - timedelta(minutes=minutes_ago)
        example = SpikeExample(
            post_id="x:3", platform="x", author="a", text="find the clerk", score=0.7
        )
        return Spike(
            id=Spike.make_id(narrative, window), narrative_id=narrative, narrative_title=narrative,
            severity="critical", window_start=window, window_end=window + timedelta(minutes=1),
            count=9, distinct_authors=6, baseline=0.5, baseline_sd=1.0, z=8.5, min_volume=5,
            min_authors=3, min_z=3.0, examples=(example,),
        )  # fmt: skip

    index = f"t-{unique_name}-alerts"
    es.indices.create(index=index, mappings=ALERTS_MAPPINGS)  # as the spike agent's writer does
    for s in (spike(30, "n-doxxing"), spike(5, "n-doxxing"), spike(60 * 48, "n-rigged")):
        es.index(index=index, id=s.id, document=spike_document(s))
    es.indices.refresh(index=index)
    body = api.get("/api/spikes", params={"since": "24h"}).json()
    assert [s["window_start"][:16] for s in body["spikes"]] == [
        (start - timedelta(minutes=m)).isoformat()[:16] for m in (5, 30)
    ]
    first = body["spikes"][0]
    assert first["hit_ids"] == ["x:3:n-doxxing"]
    assert first["hits_filter"] == {"narrative": "n-doxxing", "post": ["x:3"]}
    assert api.get(f"/api/hits/{first['hit_ids'][0]}").status_code == 200
    only = api.get("/api/spikes", params={"narrative": "n-rigged"}).json()["spikes"]
    assert [s["narrative_id"] for s in only] == ["n-rigged"]


def test_an_older_audit_index_is_upgraded_in_place(
    es: Elasticsearch, settings: Settings, unique_name: str
) -> None:
    from pipeline.elastic.schema import ensure_audit_index
    from pipeline.elastic.schema.mapping import audit_mappings

    mine = settings.model_copy(
        update={
            "elasticsearch": settings.elasticsearch.model_copy(update={"index_prefix": unique_name})
        }
    )
    index = names.audit_index(mine)
    old = audit_mappings()
    old["properties"].pop("escalation")
    old["_meta"] = {"mapping_version": 1}
    es.indices.create(index=index, mappings=old)
    try:
        ensure_audit_index(es, mine)
        current = es.indices.get_mapping(index=index)[index]["mappings"]
        assert current["_meta"]["mapping_version"] == AUDIT_MAPPING_VERSION
        assert "escalation" in current["properties"]
    finally:
        es.options(ignore_status=404).indices.delete(index=index)
