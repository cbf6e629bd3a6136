"""The hits mapping covers every `Hit` field and fits the integ-test-zip cluster."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from models.records import Hit
from pipeline.elastic.schema import mapping, names
from pipeline.settings import Settings


def _model_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    paths = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        paths.add(path)
        annotation = info.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                paths |= _model_paths(candidate, f"{path}.")
    return paths


def _mapping_paths(properties: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for name, body in properties.items():
        paths.add(f"{prefix}{name}")
        if "properties" in body:
            paths |= _mapping_paths(body["properties"], f"{prefix}{name}.")
    return paths


def test_every_hit_field_is_mapped() -> None:
    mapped = _mapping_paths(mapping.hits_mappings(384)["properties"])
    # post.raw is an opaque object (enabled: false): its keys are deliberately not mapped.
    assert _model_paths(Hit) - mapped == set()


def test_facets_are_keywords_and_text_is_standard_analysed() -> None:
    props = mapping.hits_mappings(384)["properties"]
    post = props["post"]["properties"]
    for field in (
        props["narrative"]["properties"]["id"],
        props["narrative"]["properties"]["severity"],
        props["narrative"]["properties"]["verdict"],
        props["stance"],
        post["platform"],
        post["language"],
        post["author"]["properties"]["handle"],
        props["domain"],
        props["review"]["properties"]["state"],
    ):
        assert field["type"] == "keyword"
    for field in (post["text"], post["title"], props["exemplar"]):
        assert field["type"] == "text"
        assert field["analyzer"] == "standard"  # the integ-test-zip build has no others
    assert props["exemplar"]["fields"]["keyword"]["type"] == "keyword"
    for date in ("matched_at", "indexed_at"):
        assert props[date]["type"] == "date"
    assert post["created_at"]["type"] == post["ingested_at"]["type"] == "date"
    assert post["raw"] == {"type": "object", "enabled": False}


def test_embedding_is_an_indexed_cosine_vector() -> None:
    embedding = mapping.hits_mappings(768)["properties"]["embedding"]
    assert embedding["type"] == "dense_vector"
    assert embedding["dims"] == 768
    assert embedding["index"] is True
    assert embedding["similarity"] == "cosine"


def test_bad_dims_are_refused() -> None:
    with pytest.raises(ValueError, match="dims"):
        mapping.hits_mappings(0)


def test_no_scripts_or_language_analyzers_anywhere() -> None:
    body = json.dumps(mapping.hits_template(Settings(), 384, ilm=False))
    for word in ("painless", "script", '"english"', "data_stream", "lifecycle"):
        assert word not in body


def test_template_carries_version_read_alias_and_pattern() -> None:
    settings = Settings().model_copy(
        update={"elasticsearch": Settings().elasticsearch.model_copy(update={"index_prefix": "t1"})}
    )
    template = mapping.hits_template(settings, 384, ilm=False)
    assert template["name"] == "t1-hits"
    assert template["index_patterns"] == ["t1-hits-*"]
    assert template["version"] == mapping.MAPPING_VERSION
    assert template["template"]["mappings"]["_meta"]["mapping_version"] == mapping.MAPPING_VERSION
    assert template["template"]["aliases"] == {"t1-hits-read": {}}
    assert names.hits_alias(settings) == "t1-hits"


def test_ilm_settings_only_when_the_cluster_has_ilm() -> None:
    settings = Settings()
    with_ilm = mapping.hits_template(settings, 384, ilm=True)["template"]["settings"]["index"]
    assert with_ilm["lifecycle"] == {"name": "narrmon-hits", "rollover_alias": "narrmon-hits"}
    without = mapping.hits_template(settings, 384, ilm=False)["template"]["settings"]["index"]
    assert "lifecycle" not in without


def test_version_and_dims_readers() -> None:
    mappings = mapping.hits_mappings(384)
    assert mapping.mapping_version(mappings) == mapping.MAPPING_VERSION
    assert mapping.embedding_dims(mappings) == 384
    assert mapping.mapping_version({}) == 0
    assert mapping.embedding_dims({}) is None


def test_monthly_index_name() -> None:
    from datetime import UTC, datetime

    assert (
        names.monthly_index(Settings(), datetime(2025, 1, 31, tzinfo=UTC)) == "narrmon-hits-2025.01"
    )
