from __future__ import annotations

from pathlib import Path

import pytest

from connectors.mapping import (
    DEFAULT_MAPPING,
    POST_FIELDS,
    MappingError,
    build_mapping,
    is_missing,
    load_mapping_file,
    lookup,
    parse_map_options,
)


def test_default_mapping_is_identity_over_post_fields() -> None:
    assert dict(DEFAULT_MAPPING) == {field: field for field in POST_FIELDS}


def test_map_options_parse_and_override() -> None:
    overrides = parse_map_options(["text=body", " author.handle = user.screen_name "])
    mapping = build_mapping(overrides)
    assert mapping["text"] == "body"
    assert mapping["author.handle"] == "user.screen_name"
    assert mapping["id"] == "id"


def test_empty_path_unmaps_a_field() -> None:
    assert "language" not in build_mapping({"language": ""})


@pytest.mark.parametrize("option", ["text", "=body", ""])
def test_malformed_map_options_are_refused(option: str) -> None:
    with pytest.raises(MappingError):
        parse_map_options([option])


def test_unknown_post_field_is_refused() -> None:
    with pytest.raises(MappingError, match="unknown Post field 'body'"):
        build_mapping({"body": "text"})


def test_lookup_dotted_literal_and_list_paths() -> None:
    record = {"user": {"name": "a"}, "author.handle": "flat", "media": [{"url": "u0"}]}
    assert lookup(record, "user.name") == "a"
    assert lookup(record, "author.handle") == "flat"
    assert lookup(record, "media.0.url") == "u0"
    assert is_missing(lookup(record, "user.missing"))
    assert is_missing(lookup(record, "media.5.url"))
    assert is_missing("") and is_missing(None) and not is_missing(0)


def test_mapping_file(tmp_path: Path) -> None:
    good = tmp_path / "m.yaml"
    good.write_text("text: body\nauthor.handle: user.screen_name\n", encoding="utf-8")
    assert load_mapping_file(good) == {"text": "body", "author.handle": "user.screen_name"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("- text\n", encoding="utf-8")
    with pytest.raises(MappingError):
        load_mapping_file(bad)
