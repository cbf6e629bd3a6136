"""The coordination steps and the emerging round as the worker runs them (no broker)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import numpy as np
import yaml
from prometheus_client import CollectorRegistry

from models.dead_letters import RecordOrigin
from models.records import Post, References
from models.signals.coordination import CoordinationConfig, CoordinationDetector
from models.signals.drafts import to_draft_narrative
from models.signals.emerging import EmergingConfig, StoredPost, UnmatchedStore
from pipeline.metrics import Metrics
from pipeline.runner import Record
from pipeline.signals.coordination import (
    COORDINATION_KEY,
    CoordinationStep,
    lenient_parser,
    repartition_step,
)
from pipeline.signals.emerging import EmergingRounds
from pipeline.signals.records import CoordinationGroupRecord, EmergingCandidateRecord

NOW = datetime(2024, 11, 5, 18, 0, tzinfo=UTC)
CAMPAIGN = "BREAKING: the county is shredding ballots behind the warehouse on 5th street tonight"


def _post(n: int, author: str, text: str, minutes: float = 0, **fields: object) -> Post:
    return Post(
        id=f"x:{n}",
        platform="x",
        source="t",
        text=text,
        created_at=NOW + timedelta(minutes=minutes),
        author={"id": author},
        **fields,  # type: ignore[arg-type]
    )


def _records(posts: list[Post]) -> list[Record[Post]]:
    return [Record(p, b"", RecordOrigin(offset=i)) for i, p in enumerate(posts)]


def test_repartition_sends_non_reposts_to_one_key_and_skips_unreadable_records() -> None:
    parse = lenient_parser(2000)
    assert parse(b"{not json") is None
    posts: list[Post | None] = [
        _post(1, "a", CAMPAIGN),
        _post(2, "b", CAMPAIGN, references=References(repost_of="x:1")),
        None,
    ]
    batch = [Record(p, b"", RecordOrigin(offset=i)) for i, p in enumerate(posts)]
    result = asyncio.run(repartition_step(batch))
    assert [(o.key, Post.model_validate_json(o.value).id) for o in result.outputs] == [
        (COORDINATION_KEY, "x:1")
    ]


def test_a_group_forms_at_three_accounts_and_a_rerun_emits_it_again_counted_once() -> None:
    metrics = Metrics(CollectorRegistry())
    detector = CoordinationDetector(CoordinationConfig(min_accounts=3))
    step = CoordinationStep(detector, metrics, None, clock=lambda: NOW)
    posts = [
        _post(1, "a", CAMPAIGN),
        _post(2, "b", CAMPAIGN + " #vote", minutes=1),
        _post(3, "c", "Lovely weather for a walk by the river this afternoon, ducks everywhere"),
        _post(4, "d", CAMPAIGN, minutes=2, references=References(repost_of="x:1")),
    ]
    assert asyncio.run(step(_records(posts))).outputs == []
    manual_retweet = [_post(6, "f", "RT @a: " + CAMPAIGN, minutes=2)]  # a repost by its text
    assert asyncio.run(step(_records(manual_retweet))).outputs == []
    third = [_post(5, "e", "Pass it on: " + CAMPAIGN, minutes=3)]
    first = asyncio.run(step(_records(third)))
    again = asyncio.run(step(_records(third)))  # a retried batch
    (group,) = [CoordinationGroupRecord.model_validate_json(o.value) for o in first.outputs]
    assert group.size == 3 and set(group.accounts) == {"a", "b", "e"}
    assert set(group.post_ids) == {"x:1", "x:2", "x:5"}
    assert group.example_text.endswith(CAMPAIGN) and group.span_s == 180
    assert [o.key for o in again.outputs] == [group.group_id.encode()]
    assert metrics.registry.get_sample_value("narrmon_coordination_groups_total") == 1


def _store(count: int, authors: int) -> UnmatchedStore:
    store = UnmatchedStore(EmergingConfig())
    rng = np.random.default_rng(0)
    base = rng.normal(size=8).astype(np.float32)
    old = rng.normal(size=8).astype(
        np.float32
    )  # the store has a past (no candidates before it spans 40 minutes)
    store.add(
        StoredPost("x:old", NOW - timedelta(hours=2), "u", "x", "older", old / np.linalg.norm(old))
    )
    for i in range(count):
        vector = base + rng.normal(scale=0.01, size=8).astype(np.float32)
        store.add(
            StoredPost(
                post_id=f"x:{i}",
                created_at=NOW - timedelta(minutes=1 + 2 * i),  # growing for over `sustain`
                author=f"u{i % authors}",
                platform="x",
                text=f"the warehouse ballots were shredded tonight story {i}",
                embedding=vector / np.linalg.norm(vector),
            )
        )
    return store


def test_a_round_publishes_candidates_sets_the_gauge_and_survives_a_failed_publish() -> None:
    metrics = Metrics(CollectorRegistry())
    published: list[list[EmergingCandidateRecord]] = []

    async def publish(records: list[EmergingCandidateRecord]) -> None:
        published.append(records)
        raise ConnectionError("broker gone")

    rounds = EmergingRounds(
        _store(15, 6), EmergingConfig(), metrics, publish, ThreadPoolExecutor(1), clock=lambda: NOW
    )
    (candidate,) = asyncio.run(rounds.run_once())
    assert published == [[candidate]]
    assert candidate.size == 15 and candidate.authors == 6
    assert "warehouse" in " ".join(candidate.top_terms)
    assert metrics.registry.get_sample_value("narrmon_emerging_candidates") == 1

    draft = yaml.safe_load(to_draft_narrative(candidate.candidate()))
    (narrative,) = draft["narratives"]
    assert narrative["status"] == "retired" and narrative["exemplars"]

    quiet = EmergingRounds(
        _store(15, 2), EmergingConfig(), metrics, publish, ThreadPoolExecutor(1), clock=lambda: NOW
    )
    assert asyncio.run(quiet.run_once()) == []  # two authors are not enough
    assert metrics.registry.get_sample_value("narrmon_emerging_candidates") == 0
