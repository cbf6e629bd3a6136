"""Mapping version 2 adds ``targeting`` to the hits: an index made with version 1 is migrated in
place (``put_mapping``, no copy), and hits written afterwards are searchable by their flag."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from models.records import Targeting, TargetingSpan
from pipeline.elastic.schema import ensure_hits_index, hits_alias, mapping, names
from pipeline.elastic.schema.migrate import migrate
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
    yield mine
    es.options(ignore_status=404).indices.delete(index=f"{unique_name}-*", expand_wildcards="all")
    es.options(ignore_status=404).indices.delete_index_template(name=names.hits_template_name(mine))


def test_a_version_1_index_gains_targeting_in_place(
    es: Elasticsearch, ix: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert mapping.MAPPING_VERSION == 4
    current = mapping.hits_mappings

    def version_1(dims: int) -> dict[str, Any]:
        body = current(dims)
        del body["properties"]["targeting"]
        body["_meta"]["mapping_version"] = 1
        return body

    with monkeypatch.context() as patched:
        patched.setattr(mapping, "MAPPING_VERSION", 1)
        patched.setattr(mapping, "hits_mappings", version_1)
        ensure_hits_index(es, ix, dims=4)

    steps = migrate(es, ix)
    assert [(s.action, s.from_version, s.to_version) for s in steps] == [("put_mapping", 1, 4)]

    flag = Targeting(
        flag=True,
        score=0.88,
        evidence=(TargetingSpan(start=0, end=11, kind="role", text="poll worker"),),
    )
    flagged = make_hit("p:1").model_copy(update={"targeting": flag})
    plain = make_hit("p:2").model_copy(update={"targeting": Targeting(flag=False, score=0.1)})
    index_hits(es, hits_alias(ix), [flagged, plain])
    found = es.search(index=hits_alias(ix), query={"term": {"targeting.flag": True}})
    assert [h["_id"] for h in found["hits"]["hits"]] == [flagged.id]
    kinds = es.search(
        index=hits_alias(ix), size=0, aggs={"k": {"terms": {"field": "targeting.evidence.kind"}}}
    )
    assert [b["key"] for b in kinds["aggregations"]["k"]["buckets"]] == ["role"]
