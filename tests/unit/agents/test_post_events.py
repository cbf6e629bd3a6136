"""Deletes and edits, the pure parts: which withdrawals a batch of post events makes, the query for
the hits they cover, the bulk updates, hit documents that clear a superseded mark and keep a
deletion, and the step's counting (real Elasticsearch: tests/integration/test_post_events.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from models.dead_letters import RecordOrigin
from models.post_events import PostDeleted, PostEdited
from pipeline.agents.post_events import PostEvent, WithdrawStep, plan_withdrawals
from pipeline.elastic.hits import bulk_operations, hit_document, hit_from_document
from pipeline.elastic.withdrawals import (
    Withdrawal,
    WithdrawalResult,
    withdrawal_operations,
    withdrawal_query,
)
from pipeline.metrics import Metrics
from pipeline.runner import Record
from tests.factories import make_hit

T0 = datetime(2024, 11, 6, 12, 0, tzinfo=UTC)
COMMON = {"platform": "bluesky", "source": "bluesky"}


def deleted(post_id: str, minutes: int = 0) -> PostDeleted:
    at = T0 + timedelta(minutes=minutes)
    return PostDeleted(post_id=post_id, deleted_at=at, ingested_at=at, **COMMON)


def edited(post_id: str, minutes: int) -> PostEdited:
    at = T0 + timedelta(minutes=minutes)
    return PostEdited(
        post_id=post_id, edited_at=at - timedelta(seconds=5), ingested_at=at, **COMMON
    )


def test_a_deletion_withdraws_every_hit_of_its_post() -> None:
    plan = plan_withdrawals([deleted("p1", 3)])
    assert plan == [Withdrawal("p1", "deleted", T0 + timedelta(minutes=3))]


def test_deletion_wins_over_edits_and_the_earliest_deletion_time_is_kept() -> None:
    plan = plan_withdrawals([edited("p1", 1), deleted("p1", 4), deleted("p1", 2), edited("p1", 5)])
    assert plan == [Withdrawal("p1", "deleted", T0 + timedelta(minutes=2))]


def test_the_latest_edit_sets_the_cut_off_per_post_in_first_seen_order() -> None:
    plan = plan_withdrawals([edited("p2", 1), edited("p1", 7), edited("p2", 4), deleted("p3")])
    assert [(w.post_id, w.reason) for w in plan] == [
        ("p2", "superseded"),
        ("p1", "superseded"),
        ("p3", "deleted"),
    ]
    p2 = plan[0]
    assert p2.ingested_before == T0 + timedelta(minutes=4)
    assert p2.at == T0 + timedelta(minutes=4) - timedelta(seconds=5)


def test_query_covers_deleted_posts_and_hits_older_than_the_edit() -> None:
    query = withdrawal_query(
        [
            Withdrawal("p1", "deleted", T0),
            Withdrawal("p2", "superseded", T0, ingested_before=T0 + timedelta(seconds=1)),
            Withdrawal("p0", "deleted", T0),
        ]
    )
    assert query == {
        "bool": {
            "should": [
                {"terms": {"post.id": ["p0", "p1"]}},
                {
                    "bool": {
                        "filter": [
                            {"term": {"post.id": "p2"}},
                            {"range": {"post.ingested_at": {"lt": "2024-11-06T12:00:01Z"}}},
                        ]
                    }
                },
            ],
            "minimum_should_match": 1,
            "must_not": [{"exists": {"field": "deleted_at"}}],
        }
    }


def test_operations_address_each_hit_in_its_own_index() -> None:
    found = [
        {"_index": "i-2024.10", "_id": "p1:n1", "_source": {"post": {"id": "p1"}}},
        {"_index": "i-2024.11", "_id": "p2:n2", "_source": {"post": {"id": "p2"}}},
        {"_index": "i-2024.11", "_id": "p9:n1", "_source": {"post": {"id": "p9"}}},
    ]
    withdrawals = [
        Withdrawal("p1", "deleted", T0),
        Withdrawal("p2", "superseded", T0 + timedelta(hours=1), T0),
    ]
    operations, reasons = withdrawal_operations(found, withdrawals)
    assert operations == [
        {"update": {"_index": "i-2024.10", "_id": "p1:n1"}},
        {"doc": {"deleted_at": "2024-11-06T12:00:00Z"}},
        {"update": {"_index": "i-2024.11", "_id": "p2:n2"}},
        {"doc": {"superseded_at": "2024-11-06T13:00:00Z"}},
    ]
    assert reasons == ["deleted", "superseded"]


def test_a_rewritten_hit_clears_superseded_and_never_touches_deleted() -> None:
    hit = make_hit(1)
    doc = hit_document(hit)
    assert doc["superseded_at"] is None
    assert "deleted_at" not in doc
    (_, body) = bulk_operations([hit], "idx")
    assert "deleted_at" not in body["doc"] and "deleted_at" not in body["upsert"]
    stored = {**doc, "deleted_at": "2024-11-06T12:00:00Z", "superseded_at": None}
    assert hit_from_document(stored) == hit


class RecordingSink:
    def __init__(self, marked: Counter[str]) -> None:
        self.calls: list[list[Withdrawal]] = []
        self.marked = marked

    async def apply(self, withdrawals: Sequence[Withdrawal]) -> WithdrawalResult:
        self.calls.append(list(withdrawals))
        return WithdrawalResult(marked=self.marked)


def test_step_applies_the_plan_and_counts_withdrawn_hits() -> None:
    metrics = Metrics(CollectorRegistry())
    sink = RecordingSink(Counter({"deleted": 2, "superseded": 1}))
    step = WithdrawStep(sink, metrics)  # type: ignore[arg-type]
    origin = RecordOrigin(topic="post.events", partition=0, offset=0, key="p1")
    batch: list[Record[PostEvent]] = [
        Record(deleted("p1"), b"", origin),
        Record(edited("p2", 1), b"", origin),
    ]
    result = asyncio.run(step(batch))
    assert not result.outputs and not result.refused
    assert [w.post_id for w in sink.calls[0]] == ["p1", "p2"]
    sample = metrics.registry.get_sample_value
    assert sample("narrmon_hits_withdrawn_total", {"reason": "deleted"}) == 2
    assert sample("narrmon_hits_withdrawn_total", {"reason": "superseded"}) == 1
