"""The pipeline benchmark's latency watcher against the real Elasticsearch: it sees a hit once
it is searchable, measures from the post's ingestion, and ignores hits ingested before the run
(its query only asks for recently indexed hits, `SearchableWatch.LOOKBACK_S`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch

from benchmarks.bench_pipeline import SearchableWatch
from models.records import Hit
from pipeline.elastic.schema import ensure_hits_index, hits_alias, names
from pipeline.settings import Settings
from tests.unit.elastic.hits import index_hits, make_hit

pytestmark = pytest.mark.integration


@pytest.fixture
def ix(es: Elasticsearch, settings: Settings, unique_name: str) -> Iterator[Settings]:
    mine = settings.model_copy(
        update={
            "elasticsearch": settings.elasticsearch.model_copy(update={"index_prefix": unique_name})
        }
    )
    ensure_hits_index(es, mine, 4)
    yield mine
    es.options(ignore_status=404).indices.delete(
        index=f"{names.prefix(mine)}-*", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=names.hits_template_name(mine))


def ingested(hit: Hit, at: datetime) -> Hit:
    return hit.model_copy(update={"post": hit.post.model_copy(update={"ingested_at": at})})


def test_the_watch_sees_new_hits_with_their_latency_and_not_older_ones(
    es: Elasticsearch, ix: Settings
) -> None:
    since = datetime.now(UTC)
    old = ingested(make_hit("bench:old", embedding=[1, 0, 0, 0]), since - timedelta(seconds=30))
    new = ingested(make_hit("bench:new", embedding=[0, 1, 0, 0]), since)
    watch = SearchableWatch(ix, hits_alias(ix), since)
    watch.start()
    try:
        index_hits(es, hits_alias(ix), [old, new])
        deadline = time.monotonic() + 10
        while new.id not in watch.seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watch.stop.set()
        watch.join(timeout=10)
    assert set(watch.seen) == {new.id}
    assert 0.0 <= watch.seen[new.id] < 10.0
