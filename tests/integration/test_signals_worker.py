"""The signals in a real worker, end to end and through the API: a stream in -> a targeting
flag on a hit (the synthetic ``targeting`` narrative), a coordination group (a platform repost
not counted), an emerging-narrative candidate and its draft.

One worker, the tiny test catalog, a 2-second clustering interval and 18 posts: the time is the
worker's start-up (model load) plus a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import SecretStr

from models.records import Post, References
from pipeline.api.app import create_app
from pipeline.api.service import HitService
from pipeline.settings import Settings
from pipeline.worker_process import WorkerProcess, total
from tests.integration.test_pipeline_worker import (
    cleanup,
    post_records,
    produce,
    scenario_settings,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DOXXING = (
    "The poll worker at Lincoln school is Dana Whitcombe, she lives on Elm Street. "
    "Go find her and make her answer."
)
CAMPAIGN = "Call your county office today and demand every mail ballot is verified before counting"
EMERGING = [
    "The town hall livestream crashed because of a DDoS attack ordered by insiders",
    "Insiders ordered a DDoS attack to crash the town hall livestream",
    "That livestream did not just crash, it was a deliberate DDoS attack from insiders",
    "DDoS attack took down the town hall stream, insiders wanted it silenced",
    "The town hall stream going down was a DDoS attack, someone inside ordered it",
    "Crashed livestream? No, a DDoS attack by insiders to silence the town hall",
    "They hit the town hall livestream with a DDoS attack, an inside job",
    "Insider DDoS attack crashed the town hall livestream tonight",
]
CHATTER = [
    "Lovely weather in the park today, the ducks are out",
    "Anyone know a good recipe for pumpkin soup?",
    "The new phone battery lasts two days",
    "Traffic on the bridge is terrible this morning",
    "Great match last night, what a goal",
]


def signal_settings(base: Settings, tmp: Path) -> Settings:
    settings = scenario_settings(base, tmp)
    name = settings.worker.app_id
    signals = settings.signals
    return settings.model_copy(
        update={
            "topics": settings.topics.model_copy(
                update={"coordination": f"{name}.coordination", "emerging": f"{name}.emerging"}
            ),
            "signals": signals.model_copy(
                update={
                    "coordination": signals.coordination.model_copy(update={"min_accounts": 3}),
                    "emerging": signals.emerging.model_copy(
                        update={
                            "interval_s": 2.0,
                            "min_size": 6,
                            "min_authors": 3,
                            "min_growth": 2.0,
                            "sustain_min": 0.0,  # the burst is seconds old
                        }
                    ),
                }
            ),
            "spikes": settings.spikes.model_copy(update={"enabled": False}),
            "api": settings.api.model_copy(update={"token": SecretStr("s3cret")}),
        }
    )


def stream() -> list[Post]:
    now = datetime.now(UTC)

    def post(key: str, author: str, text: str, at: datetime = now, **fields: Any) -> Post:
        return Post(
            id=f"sig:{key}",
            platform="x",
            source="it",
            text=text,
            created_at=at,
            author={"id": author, "handle": author},
            **fields,
        )

    campaign = [
        post("camp-1", "acct-1", CAMPAIGN),
        post("camp-2", "acct-2", f"{CAMPAIGN} #verify"),
        post("camp-3", "acct-3", f"@county {CAMPAIGN}!"),
        post("camp-rp", "acct-4", CAMPAIGN, references=References(repost_of="sig:camp-1")),
    ]
    emerging = [post(f"em-{i}", f"voice-{i % 4}", t) for i, t in enumerate(EMERGING)]
    # an hour old: the unmatched store has a past (no candidates before it spans `recent`)
    hour_ago = now - timedelta(hours=1)
    chatter = [post(f"chat-{i}", f"person-{i}", t, hour_ago) for i, t in enumerate(CHATTER)]
    return [post("dox", "troll-1", DOXXING), *campaign, *emerging, *chatter]


@pytest.fixture(scope="module")
def running(stack: Settings, es: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = signal_settings(stack, tmp_path_factory.mktemp("signals"))
    posts = stream()
    worker = WorkerProcess(settings, settings.state_dir / "worker.log")
    try:
        worker.start()
        worker.wait_ready()
        produce(settings.kafka.bootstrap, settings.topics.posts, post_records(posts))
        samples = wait_for(
            worker,
            lambda s: (
                total(s, "narrmon_targeting_posts_total") >= 1
                and total(s, "narrmon_coordination_groups_total") >= 1
                and total(s, "narrmon_emerging_candidates") >= 1
                and total(s, "narrmon_hits_indexed_total") >= 1
            ),
            timeout_s=90,
        )
        service = HitService(es, settings)
        yield settings, samples, TestClient(create_app(settings, service))
    finally:
        worker.stop()
        cleanup(es, settings, settings.kafka.bootstrap)


def eventually(api: TestClient, path: str, key: str, **params: Any) -> Any:
    """The first non-empty ``body[key]`` of ``GET path``: index writes become visible within a
    refresh interval, and a search racing the worker's creation of an index answers 503."""
    deadline = time.monotonic() + 15.0
    while time.monotonic() < deadline:
        response = api.get(path, params=params)
        if response.status_code == 200 and (value := response.json()[key]):
            return value
        assert response.status_code in {200, 503}, response.text
        time.sleep(0.5)
    raise AssertionError(f"nothing became visible at {path}")


def test_a_targeting_post_is_a_flagged_hit_of_the_synthetic_narrative(running: Any) -> None:
    _, samples, api = running
    assert total(samples, "narrmon_targeting_posts_total") == 1
    found = eventually(api, "/api/search", "hits", narrative="targeting")
    assert [h["id"] for h in found] == ["sig:dox:targeting"]
    detail = api.get("/api/hits/sig:dox:targeting").json()
    targeting = detail["hit"]["targeting"]
    assert targeting["flag"] is True and targeting["score"] > 0.5
    spans = {(e["kind"], e["text"]) for e in targeting["evidence"]}
    assert {("role", "poll worker"), ("person", "Dana Whitcombe")} <= spans
    assert detail["hit"]["narrative"]["severity"] == "critical"
    assert detail["coordination"] == []  # joined at read time: the post is in no group


def test_copy_paste_from_three_accounts_is_one_group_without_the_repost(running: Any) -> None:
    _, samples, api = running
    assert total(samples, "narrmon_coordination_groups_total") == 1
    (group,) = eventually(api, "/api/coordination", "groups")
    assert group["size"] == 3
    assert sorted(group["accounts"]) == ["acct-1", "acct-2", "acct-3"]
    assert sorted(group["post_ids"]) == ["sig:camp-1", "sig:camp-2", "sig:camp-3"]
    by_post = api.get("/api/coordination", params={"post_id": "sig:camp-2"}).json()["groups"]
    assert [g["group_id"] for g in by_post] == [group["group_id"]]
    assert api.get("/api/coordination", params={"post_id": "sig:camp-rp"}).json() == {"groups": []}


def test_an_emerging_narrative_is_a_candidate_with_a_draft(running: Any) -> None:
    _, _, api = running
    (candidate,) = eventually(api, "/api/emerging", "candidates")
    assert sorted(candidate["post_ids"]) == sorted(f"sig:em-{i}" for i in range(len(EMERGING)))
    assert candidate["authors"] == 4 and "ddos" in candidate["top_terms"]
    path = f"/api/emerging/{candidate['candidate_id']}/draft"
    assert api.post(path).status_code == 401
    response = api.post(path, headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    (narrative,) = yaml.safe_load(response.text)["narratives"]
    assert narrative["status"] == "retired" and set(narrative["exemplars"]) <= set(EMERGING)
    missing = api.post(
        "/api/emerging/emerging-nope/draft", headers={"Authorization": "Bearer s3cret"}
    )
    assert missing.status_code == 404
