"""Deletes and edits on the real stack (worker + Kafka + Elasticsearch): a post's hits are indexed,
a `PostDeleted` marks them ``deleted_at`` (kept in the index, hidden from default searches), and a
`PostEdited` whose new text no longer matches one of the post's narratives leaves that hit
superseded while the narrative the new text still matches stays visible."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.post_events import PostDeleted, PostEdited
from models.records import Post
from pipeline.api.params import build_filters
from pipeline.api.service import HitService
from pipeline.settings import Settings
from pipeline.worker_process import WorkerProcess, total
from tests.integration.test_pipeline_worker import cleanup, produce, scenario_settings, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DELETED = "Dead people voted and rigged the election, the election was stolen"
BEFORE = "Dead people voted and rigged the election"
# it:moved is edited to another narrative: its old hit is superseded, the new one indexed.
MOVED = "Voting machines secretly switched votes from one candidate to the other machine"
# it:kept is edited but still matches its narrative: re-matched, it stays visible.
KEPT = "The election was stolen, millions of fraudulent ballots were counted"


def hits_of(es: Any, settings: Settings, post_id: str) -> dict[str, dict[str, Any]]:
    from pipeline.elastic.schema.names import hits_read_alias

    alias = hits_read_alias(settings)
    es.indices.refresh(index=alias)
    found = es.search(index=alias, query={"term": {"post.id": post_id}}, size=50)
    return {h["_source"]["narrative"]["id"]: h["_source"] for h in found["hits"]["hits"]}


def poll(check: Any, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_deleted_post_hidden_edited_post_superseded(
    stack: Settings, es: Any, tmp_path: Path
) -> None:
    settings = scenario_settings(stack, tmp_path)  # its own topics, post events included
    t, bootstrap = settings.topics, settings.kafka.bootstrap
    now = datetime.now(UTC)
    first = {
        "it:del": DELETED,
        "it:moved": BEFORE,
        "it:kept": BEFORE,
    }
    posts = [
        Post(id=i, platform="bluesky", source="it", text=text, created_at=now)
        for i, text in first.items()
    ]
    worker = WorkerProcess(settings, settings.state_dir / "worker.log")
    try:
        worker.start()
        worker.wait_ready()
        produce(bootstrap, t.posts, [(p.id.encode(), p.model_dump_json().encode()) for p in posts])
        wait_for(
            worker,
            lambda s: (
                total(s, "narrmon_posts_processed_total") >= 3
                and total(s, "narrmon_hits_indexed_total") >= total(s, "narrmon_hits_total") > 0
            ),
        )
        assert hits_of(es, settings, "it:del"), "the post to delete must have hits"
        for post_id in ("it:moved", "it:kept"):
            assert set(hits_of(es, settings, post_id)) == {"stolen-election"}

        edited_at = datetime.now(UTC)
        received = edited_at + timedelta(seconds=1)
        common = {"platform": "bluesky", "source": "it", "ingested_at": received}
        events = [
            PostDeleted(post_id="it:del", deleted_at=edited_at, **common),
            PostEdited(post_id="it:moved", edited_at=edited_at, **common),
            PostEdited(post_id="it:kept", edited_at=edited_at, **common),
        ]
        new_versions = [
            posts[1].model_copy(update={"text": MOVED, "ingested_at": received}),
            posts[2].model_copy(update={"text": KEPT, "ingested_at": received}),
        ]
        # Events first: an edit's mark may land before the re-match, which must then clear it.
        produce(
            bootstrap,
            t.post_events,
            [(e.post_id.encode(), e.model_dump_json().encode()) for e in events],
        )
        produce(
            bootstrap,
            t.posts,
            [(p.id.encode(), p.model_dump_json().encode()) for p in new_versions],
        )
        wait_for(
            worker,
            lambda s: (
                total(s, "narrmon_post_events_total") >= 3
                and total(s, "narrmon_posts_processed_total") >= 5
            ),
        )

        def settled() -> bool:
            deleted = hits_of(es, settings, "it:del").values()
            moved = hits_of(es, settings, "it:moved")
            kept = hits_of(es, settings, "it:kept")
            return (
                all(h.get("deleted_at") for h in deleted)
                and set(moved) == {"stolen-election", "voting-machines-flip"}
                and bool(moved["stolen-election"].get("superseded_at"))
                and not moved["voting-machines-flip"].get("superseded_at")
                and kept["stolen-election"]["post"]["text"] == KEPT
                and not kept["stolen-election"].get("superseded_at")
            )

        assert poll(settled), [hits_of(es, settings, p) for p in first]
        moved = hits_of(es, settings, "it:moved")
        assert moved["stolen-election"]["post"]["text"] == BEFORE
        assert moved["voting-machines-flip"]["post"]["text"] == MOVED

        service = HitService(es, settings)
        ids = list(first)
        default = service.search(build_filters(post=ids), "newest", 20)
        assert sorted(h["id"] for h in default["hits"]) == [
            "it:kept:stolen-election",
            "it:moved:voting-machines-flip",
        ]
        everything = service.search(build_filters(post=ids, deleted="include"), "newest", 20)
        assert everything["total"] == len(hits_of(es, settings, "it:del")) + 3
        only = service.search(build_filters(post=ids, deleted="only"), "newest", 20)
        stamp = edited_at.isoformat().replace("+00:00", "Z")
        assert {
            (h["fields"]["post.id"], h["fields"]["deleted_at"], h["fields"]["superseded_at"])
            for h in only["hits"]
        } == {("it:del", stamp, None), ("it:moved", None, stamp)}
        samples = worker.scrape()
        assert samples is not None
        assert total(samples, "narrmon_hits_withdrawn_total", reason="deleted") >= 1
        assert total(samples, "narrmon_hits_withdrawn_total", reason="superseded") >= 1
    finally:
        worker.stop()
        cleanup(es, settings, bootstrap)
