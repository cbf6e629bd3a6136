"""Contract tests of the Elasticsearch sinks against the real server.

One class, one fresh index prefix per test (uuid) and teardown of everything under it: the
hits sink (write, redelivery, a transient failure, a rejection), conditional review updates,
the alerts sink and the audit trail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

import pytest

from models.records import Hit
from pipeline.elastic.alerts import make_index_writer
from pipeline.elastic.audit import AuditLog
from pipeline.elastic.client import BACKGROUND, make_async_client, make_client
from pipeline.elastic.errors import (
    ElasticConflict,
    ElasticNotFound,
    ElasticRejected,
    ElasticUnavailable,
)
from pipeline.elastic.hits import BulkResult, HitSink, set_review
from pipeline.elastic.schema import ensure_hits_index, names
from pipeline.elastic.search import locate
from pipeline.elastic.withdrawals import Withdrawal, WithdrawalSink
from pipeline.settings import Settings
from pipeline.spikes.records import Spike
from tests.unit.elastic.hits import make_hit

if TYPE_CHECKING:
    from pipeline.elastic.client import Client

pytestmark = pytest.mark.integration

DIMS = 4
UNREACHABLE = "http://127.0.0.1:1"
T = TypeVar("T")


def _with_prefix(settings: Settings, prefix: str, url: str | None = None) -> Settings:
    update: dict[str, object] = {"index_prefix": prefix}
    if url is not None:
        update["url"] = url
    return settings.model_copy(
        update={"elasticsearch": settings.elasticsearch.model_copy(update=update)}
    )


def _run(settings: Settings, work: Callable[[HitSink], Awaitable[T]]) -> T:
    """Run `work` on a `HitSink` built (and closed) inside one event loop, as the worker does."""

    async def scenario() -> T:
        sink = HitSink(make_async_client(settings), names.hits_alias(settings))
        try:
            return await work(sink)
        finally:
            await sink.close()

    return asyncio.run(scenario())


def _write(settings: Settings, hits: Sequence[Hit]) -> BulkResult:
    return _run(settings, lambda sink: sink.write(hits))


class TestElasticSinks:
    @pytest.fixture(autouse=True)
    def fresh_indices(self, stack: Settings, unique_name: str) -> Iterator[None]:
        self.settings = _with_prefix(stack, unique_name)
        self.client: Client = make_client(self.settings, BACKGROUND)
        ensure_hits_index(self.client, self.settings, DIMS)
        yield
        prefix = names.prefix(self.settings)
        self.client.options(ignore_status=404).indices.delete(
            index=f"{prefix}-*", expand_wildcards="all"
        )
        self.client.options(ignore_status=404).indices.delete_index_template(
            name=names.hits_template_name(self.settings)
        )
        self.client.close()

    def _count(self, index: str) -> int:
        self.client.indices.refresh(index=index)
        return int(self.client.count(index=index)["count"])

    def test_withdrawals_page_through_hits_and_survive_redelivery(self) -> None:
        hits = [
            make_hit(post, embedding=[1.0, 0, 0, 0], narrative_id=narrative)
            for post in ("p:del", "p:edit", "p:other")
            for narrative in ("n-a", "n-b", "n-c")
        ]
        _write(self.settings, hits)
        read = names.hits_read_alias(self.settings)
        cut = datetime.now(UTC)
        plan = [
            Withdrawal("p:del", "deleted", cut),
            Withdrawal("p:edit", "superseded", cut, ingested_before=cut),
        ]

        async def apply() -> dict[str, int]:
            sink = WithdrawalSink(make_async_client(self.settings), read, page=2)
            try:
                return dict((await sink.apply(plan)).marked)
            finally:
                await sink.close()

        assert asyncio.run(apply()) == {"deleted": 3, "superseded": 3}
        _write(self.settings, hits)  # redelivered: deleted stays, superseded is cleared
        self.client.indices.refresh(index=read)
        docs = {
            d["_id"]: d["_source"] for d in self.client.search(index=read, size=20)["hits"]["hits"]
        }
        assert len(docs) == 9
        for hit_id, source in docs.items():
            assert bool(source.get("deleted_at")) == hit_id.startswith("p:del:")
            assert source.get("superseded_at") is None
        assert asyncio.run(apply()) == {"superseded": 3}  # a deleted hit is not marked again

    def test_write_creates_one_document_per_hit(self) -> None:
        hits = [make_hit(f"p:{i}", embedding=[1.0, 0, 0, 0]) for i in range(3)]
        result = _write(self.settings, hits)
        assert result.created == hits
        assert (result.duplicates, result.retry, result.rejected) == ([], [], [])
        assert self._count(names.hits_read_alias(self.settings)) == 3

    def test_redelivery_is_a_duplicate_and_keeps_the_review(self) -> None:
        hit = make_hit("p:1", embedding=[1.0, 0, 0, 0])
        assert _write(self.settings, [hit]).created == [hit]
        self._count(names.hits_read_alias(self.settings))  # refreshed: searchable now
        found = locate(self.client, names.hits_read_alias(self.settings), hit.id)
        review = {"state": "confirmed", "reviewer": "ana", "reviewed_at": None, "note": None}
        set_review(
            self.client,
            found["_index"],
            hit.id,
            review,
            if_seq_no=found["_seq_no"],
            if_primary_term=found["_primary_term"],
        )

        again = _write(self.settings, [hit])  # at-least-once: the same hit delivered again
        assert again.duplicates == [hit] and again.created == []
        assert self._count(names.hits_read_alias(self.settings)) == 1
        source = locate(self.client, names.hits_read_alias(self.settings), hit.id)["_source"]
        assert source["review"]["state"] == "confirmed"

        with pytest.raises(ElasticConflict):  # the version read before the redelivery is stale
            set_review(
                self.client,
                found["_index"],
                hit.id,
                review,
                if_seq_no=found["_seq_no"],
                if_primary_term=found["_primary_term"],
            )

    def test_unreachable_server_is_unavailable(self) -> None:
        unreachable = _with_prefix(self.settings, names.prefix(self.settings), UNREACHABLE)
        with pytest.raises(ElasticUnavailable):
            _write(unreachable, [make_hit("p:1", embedding=[1.0, 0, 0, 0])])

    def test_mapping_conflict_is_rejected_per_hit(self) -> None:
        good = make_hit("p:good", embedding=[1.0, 0, 0, 0])
        bad = make_hit("p:bad", embedding=[1.0, 0, 0])  # 3 dims into a 4-dims dense_vector
        result = _write(self.settings, [good, bad])
        assert result.created == [good]
        assert [hit for hit, _ in result.rejected] == [bad]
        assert "exception" in result.rejected[0][1]
        assert result.retry == []

    def test_missing_hit_is_not_found(self) -> None:
        with pytest.raises(ElasticNotFound, match="nope"):
            locate(self.client, names.hits_read_alias(self.settings), "nope")

    def test_alerts_sink_writes_each_spike_once(self) -> None:
        start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
        spike = Spike(
            id=Spike.make_id("n-rigged", start),
            narrative_id="n-rigged",
            narrative_title="Machines rigged",
            severity="high",
            window_start=start,
            window_end=start.replace(minute=5),
            count=40,
            distinct_authors=12,
            baseline=2.0,
            baseline_sd=1.0,
            z=38.0,
            min_volume=10,
            min_authors=3,
            min_z=3.0,
        )
        index = names.alerts_index(self.settings)

        async def scenario() -> None:
            client = make_async_client(self.settings, BACKGROUND)
            try:
                write = make_index_writer(client, index)
                await write(spike)
                await write(spike)  # a replayed spike overwrites its own document
            finally:
                await client.close()

        asyncio.run(scenario())
        assert self._count(index) == 1
        stored = self.client.get(index=index, id=spike.id)["_source"]
        assert stored["kind"] == "spike" and stored["count"] == 40

    def test_audit_log_appends_and_reads_back(self) -> None:
        audit = AuditLog(self.client, self.settings)
        before = {"state": "unreviewed", "reviewer": None, "reviewed_at": None, "note": None}
        after = {**before, "state": "confirmed", "reviewer": "ana"}
        entry = {
            "hit_id": "p:1:n-rigged",
            "hit_index": "x",
            "narrative_id": "n-rigged",
            "reviewer": "ana",
            "at": "2025-03-01T12:00:00Z",
            "action": "confirmed",
            "before": before,
            "after": after,
            "note": None,
            "via": "api",
        }
        audit_id = audit.append(entry)
        stored = {**entry, "audit_id": audit_id, "status": "pending"}
        assert audit.entries("p:1:n-rigged") == [stored]
        # not in the trail until the hit's review names it (`pipeline.elastic.audit.reconcile`)
        assert audit.history("p:1:n-rigged", None) == []
        assert audit.history("p:1:n-rigged", audit_id) == [stored]
        assert audit.settle(audit_id, "committed")
        assert audit.entries("p:1:n-rigged")[0]["status"] == "committed"
        assert audit.history("other", None) == []
        assert len(audit_id) == 32
        with pytest.raises(ElasticRejected):  # the audit mapping is strict
            audit.append({**entry, "surprise": 1})
