"""The hits index against the real local Elasticsearch: creation, idempotent writes that keep
reviews, kNN on the embedding, the monthly switch and mapping migrations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from pipeline.elastic.errors import IndexSchemaError
from pipeline.elastic.schema import (
    ensure_hits_index,
    hits_alias,
    hits_read_alias,
    mapping,
    names,
)
from pipeline.elastic.schema.lifecycle import has_ilm, write_index
from pipeline.elastic.schema.migrate import index_info, migrate
from pipeline.settings import Settings
from tests.unit.elastic.hits import index_hits, make_hit

pytestmark = pytest.mark.integration

DIMS = 4


def isolated(settings: Settings, name: str) -> Settings:
    es = settings.elasticsearch.model_copy(update={"index_prefix": f"t-{name}".lower()})
    return settings.model_copy(update={"elasticsearch": es})


def drop_everything(es: Elasticsearch, settings: Settings) -> None:
    es.options(ignore_status=404).indices.delete(
        index=f"{names.prefix(settings)}-*", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(
        name=names.hits_template_name(settings)
    )


@pytest.fixture
def ix(es: Elasticsearch, settings: Settings, unique_name: str) -> Iterator[Settings]:
    mine = isolated(settings, unique_name)
    yield mine
    drop_everything(es, mine)


def write(es: Elasticsearch, settings: Settings, *hits: Any) -> None:
    index_hits(es, hits_alias(settings), hits)


def test_ensure_is_idempotent_and_uses_the_monthly_fallback(
    es: Elasticsearch, ix: Settings
) -> None:
    assert not has_ilm(es)  # the integ-test-zip build: this test documents the fallback
    march = datetime(2025, 3, 5, tzinfo=UTC)
    alias = ensure_hits_index(es, ix, DIMS, now=march)
    assert alias == hits_alias(ix)
    assert ensure_hits_index(es, ix, DIMS, now=march) == alias
    assert write_index(es, ix) == f"{names.prefix(ix)}-hits-2025.03"
    assert es.indices.exists(index=names.audit_index(ix))
    assert es.indices.exists_alias(name=hits_read_alias(ix))

    write(es, ix, make_hit("p:1", embedding=[1, 0, 0, 0]))
    # A new month moves the write flag; the old month stays readable.
    ensure_hits_index(es, ix, DIMS, now=datetime(2025, 4, 1, tzinfo=UTC))
    assert write_index(es, ix) == f"{names.prefix(ix)}-hits-2025.04"
    write(es, ix, make_hit("p:2", embedding=[0, 1, 0, 0]))
    assert es.count(index=hits_read_alias(ix))["count"] == 2
    assert es.count(index=hits_alias(ix))["count"] == 2


def test_redelivery_keeps_the_review_and_knn_finds_the_nearest(
    es: Elasticsearch, ix: Settings
) -> None:
    ensure_hits_index(es, ix, DIMS)
    near, far = (
        make_hit("p:near", embedding=[1, 0, 0, 0]),
        make_hit("p:far", embedding=[0, 0, 1, 0]),
    )
    write(es, ix, near, far)
    es.update(
        index=write_index(es, ix) or "",
        id=near.id,
        doc={"review": {"state": "confirmed", "reviewer": "ana"}},
        refresh=True,
    )
    write(es, ix, near)  # at-least-once delivery: the same hit again
    source = es.get(index=hits_alias(ix), id=near.id)["_source"]
    assert source["review"]["state"] == "confirmed"
    assert es.get(index=hits_alias(ix), id=far.id)["_source"]["review"]["state"] == "unreviewed"
    assert es.count(index=hits_read_alias(ix))["count"] == 2

    found = es.search(
        index=hits_read_alias(ix),
        knn={"field": "embedding", "query_vector": [0.9, 0.1, 0, 0], "k": 1, "num_candidates": 10},
        source=["id"],
    )
    assert [h["_source"]["id"] for h in found["hits"]["hits"]] == [near.id]


def test_different_dims_are_refused(es: Elasticsearch, ix: Settings) -> None:
    ensure_hits_index(es, ix, DIMS)
    with pytest.raises(IndexSchemaError, match="dims"):
        ensure_hits_index(es, ix, DIMS + 1)


def test_migrate_additive_change_in_place(
    es: Elasticsearch, ix: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_hits_index(es, ix, DIMS)
    write(es, ix, make_hit("p:1", embedding=[1, 0, 0, 0]))
    assert [s.action for s in migrate(es, ix)] == ["up_to_date"]

    original = mapping.hits_mappings

    def v2(dims: int) -> dict[str, Any]:
        body = original(dims)
        body["properties"]["triage_queue"] = {"type": "keyword"}
        return body

    monkeypatch.setattr(mapping, "MAPPING_VERSION", mapping.MAPPING_VERSION + 1)
    monkeypatch.setattr(mapping, "hits_mappings", v2)
    steps = migrate(es, ix)
    assert [(s.action, s.to_version) for s in steps] == [("put_mapping", mapping.MAPPING_VERSION)]
    info = index_info(es, ix)
    assert info.template_version == mapping.MAPPING_VERSION
    assert [(i.mapping_version, i.docs, i.is_write_index) for i in info.indices] == [
        (mapping.MAPPING_VERSION, 1, True)
    ]
    got = es.indices.get_mapping(index=hits_alias(ix))
    assert "triage_queue" in next(iter(got.body.values()))["mappings"]["properties"]


def test_migrate_incompatible_change_reindexes_and_keeps_reviews(
    es: Elasticsearch, ix: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_hits_index(es, ix, DIMS)
    hit = make_hit("p:1", embedding=[1, 0, 0, 0])
    write(es, ix, hit, make_hit("p:2", embedding=[0, 1, 0, 0]))
    old_index = write_index(es, ix)
    es.update(
        index=old_index or "", id=hit.id, doc={"review": {"state": "confirmed"}}, refresh=True
    )

    original = mapping.hits_mappings

    def v2(dims: int) -> dict[str, Any]:
        body = original(dims)
        body["properties"]["stance"] = {"type": "text"}  # keyword -> text: not allowed in place
        return body

    monkeypatch.setattr(mapping, "MAPPING_VERSION", mapping.MAPPING_VERSION + 1)
    monkeypatch.setattr(mapping, "hits_mappings", v2)
    (step,) = migrate(es, ix)
    assert step.action == "reindexed"
    assert step.target == f"{old_index}-m{mapping.MAPPING_VERSION}"
    assert not es.indices.exists(index=old_index or "")
    assert write_index(es, ix) == step.target
    assert es.count(index=hits_read_alias(ix))["count"] == 2
    assert es.get(index=hits_alias(ix), id=hit.id)["_source"]["review"]["state"] == "confirmed"
    write(es, ix, make_hit("p:3", embedding=[0, 0, 1, 0]))  # writes still work after the swap
    assert es.count(index=hits_read_alias(ix))["count"] == 3
    assert [s.action for s in migrate(es, ix)] == ["up_to_date"]


def test_version_1_indices_gain_the_withdrawn_fields_in_place(
    es: Elasticsearch, ix: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = mapping.hits_mappings

    def v1(dims: int) -> dict[str, Any]:
        body = current(dims)
        body["_meta"]["mapping_version"] = 1
        for field in ("deleted_at", "superseded_at"):
            del body["properties"][field]
        return body

    with monkeypatch.context() as m:
        m.setattr(mapping, "MAPPING_VERSION", 1)
        m.setattr(mapping, "hits_mappings", v1)
        ensure_hits_index(es, ix, DIMS)
    write(es, ix, make_hit("p:1", embedding=[1, 0, 0, 0]))
    assert mapping.MAPPING_VERSION == 4
    steps = migrate(es, ix)
    assert [(s.action, s.from_version, s.to_version) for s in steps] == [("put_mapping", 1, 4)]
    got = es.indices.get_mapping(index=hits_alias(ix))
    properties = next(iter(got.body.values()))["mappings"]["properties"]
    assert properties["deleted_at"] == {"type": "date"}
    assert properties["superseded_at"] == {"type": "date"}


def test_a_changed_refresh_interval_reaches_the_template_and_the_existing_write_index(
    es: Elasticsearch, ix: Settings
) -> None:
    ensure_hits_index(es, ix, DIMS)
    index = write_index(es, ix)
    assert index is not None

    def refresh_of_index() -> str:
        found = es.indices.get_settings(index=index, name="index.refresh_interval")
        return str(found[index]["settings"]["index"]["refresh_interval"])

    def refresh_of_template() -> str:
        found = es.indices.get_index_template(name=names.hits_template_name(ix))
        return str(
            found["index_templates"][0]["index_template"]["template"]["settings"]["index"][
                "refresh_interval"
            ]
        )

    assert refresh_of_index() == refresh_of_template() == ix.elasticsearch.hits_refresh_interval
    faster = ix.model_copy(
        update={
            "elasticsearch": ix.elasticsearch.model_copy(update={"hits_refresh_interval": "200ms"})
        }
    )
    ensure_hits_index(es, faster, DIMS)
    assert refresh_of_index() == refresh_of_template() == "200ms"
