"""JSONL and CSV connectors on real files: every line/row is a post or a typed rejection."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from connectors.csv_file import CsvConnector
from connectors.jsonl import JsonlConnector
from connectors.mapping import build_mapping
from connectors.replay import replay
from models.errors import InvalidRecord

from .conftest import NOW, ListSink

MALFORMED_REASONS = {
    2: "malformed_json",
    3: "missing_text",
    4: "missing_text",
    5: "schema_error",
    6: "schema_error",
    7: "invalid_utf8",
    8: "schema_error",
    9: "schema_error",
    10: "oversized",
}


def test_demo_malformed_file_dead_letters_each_case(demo_dir: Path, sink: ListSink) -> None:
    path = demo_dir / "malformed.jsonl"
    summary = replay(JsonlConnector([path], source="demo"), sink, max_chars=20_000)
    assert summary.read == 11
    assert [p.id for p in sink.posts] == ["x:1853900000000000001", "x:1853900000000000011"]
    got = {int(letter.key.rsplit(":", 1)[1]): letter.reason for letter in sink.dead_letters}
    assert got == MALFORMED_REASONS
    lines = path.read_bytes().split(b"\n")
    for letter in sink.dead_letters:
        number = int(letter.key.rsplit(":", 1)[1])
        assert letter.original() == lines[number - 1]
        assert letter.source == "demo"
    invalid = next(d for d in sink.dead_letters if d.reason == "invalid_utf8")
    assert b"\xff\xfe" in base64.b64decode(invalid.original_b64)


def test_jsonl_skips_blank_lines_and_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    record = {
        "id": "1",
        "platform": "x",
        "text": "hello there",
        "created_at": "2024-11-06T00:00:00Z",
    }
    path.write_bytes(b"\n" + json.dumps(record).encode() + b"\r\n   \n")
    items = list(JsonlConnector([path], source="t").items())
    assert [item.origin for item in items] == [f"{path}:2"]


def test_jsonl_oversized_posts_are_rejected_not_truncated(sink: ListSink, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    text = "a" * 30 + " " + "b" * 30
    path.write_text(json.dumps({"id": "1", "platform": "x", "text": text}) + "\n", encoding="utf-8")
    summary = replay(JsonlConnector([path], source="t"), sink, max_chars=50)
    assert summary.by_reason == {"oversized": 1}
    assert sink.posts == []
    assert json.loads(sink.dead_letters[0].original())["text"] == text


CSV = (
    "id,platform,text,author.handle,followers,created_at\n"
    '1,x,"Polls close at 8, stay in line",quiet_owl,12,2024-11-06T00:00:00Z\n'
    "2,x,,harbor_fox,3,2024-11-06T00:01:00Z\n"
    '3,reddit,"multi\nline post",river_dad,many,2024-11-06T00:02:00Z\n'
    "4,x,too,many,cells,2024-11-06T00:03:00Z,extra\n"
)


def test_csv_rows_with_mapping_and_rejections(tmp_path: Path, sink: ListSink) -> None:
    path = tmp_path / "posts.csv"
    bad_row = b"5,x,caf\xe9 broken,owl,1,2024-11-06T00:04:00Z\n"
    path.write_bytes(CSV.encode() + bad_row)
    mapping = build_mapping({"author.followers": "followers"})
    connector = CsvConnector([path], source="csv", mapping=mapping, clock=lambda: NOW)
    summary = replay(connector, sink, max_chars=20_000)
    assert summary.read == 5
    assert [p.id for p in sink.posts] == ["x:1"]
    assert sink.posts[0].text == "Polls close at 8, stay in line"
    assert sink.posts[0].author.handle == "quiet_owl"
    assert sink.posts[0].author.followers == 12
    reasons = [(d.key, d.reason) for d in sink.dead_letters]
    assert reasons == [
        (f"{path}:3", "missing_text"),
        (f"{path}:5", "schema_error"),
        (f"{path}:6", "schema_error"),
        (f"{path}:7", "invalid_utf8"),
    ]
    assert b"caf\xe9 broken" in sink.dead_letters[-1].original()


def test_csv_connector_refuses_bytes_items() -> None:
    from connectors.base import RawItem

    with pytest.raises(InvalidRecord):
        CsvConnector([], source="c").normalise(RawItem(data=b"x", origin="o"))
