"""Decoding, filtering and showing dead letters (no broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.dead_letters import DeadLetter
from pipeline.dlq.letters import (
    LetterFilter,
    StoredLetter,
    decode_letters,
    decode_original,
    detail,
    parse_ref,
    printable,
    render_detail,
    select,
    summary_line,
    tally,
)

T0 = datetime(2024, 11, 5, 12, tzinfo=UTC)


def stored(
    offset: int,
    *,
    reason: str = "schema_error",
    source: str = "demo:posts",
    at: datetime = T0,
    original: bytes = b'{"id": 1}',
) -> StoredLetter:
    letter = DeadLetter.of(
        original,
        reason,  # type: ignore[arg-type]
        "created_at: field required",
        source,
        original_topic="posts",
        original_partition=2,
        original_offset=40 + offset,
        key=f"x:{offset}",
        dead_lettered_at=at,
    )
    return StoredLetter(partition=offset % 2, offset=offset, letter=letter)


def test_refs_round_trip_and_bad_refs_are_refused() -> None:
    assert parse_ref(" 3:17 ") == (3, 17)
    assert stored(5).ref == "1:5"
    for bad in ("3", "a:1", "3:-1", ":", "3:17:1"):
        with pytest.raises(ValueError, match="PARTITION:OFFSET"):
            parse_ref(bad)


def test_records_that_are_not_dead_letters_are_reported_not_dropped_silently() -> None:
    good = stored(1).letter.model_dump_json().encode()
    decoded = decode_letters([(0, 1, good), (0, 2, b"not json"), (1, 3, None), (1, 4, b"{}")])
    assert [s.ref for s in decoded.letters] == ["0:1"]
    assert decoded.unreadable == ["0:2", "1:3", "1:4"]


def test_filter_by_reason_source_and_time_newest_first_with_limit() -> None:
    letters = [
        stored(0, reason="malformed_json", at=T0 - timedelta(hours=3)),
        stored(1, reason="schema_error", at=T0 - timedelta(hours=2)),
        stored(2, reason="schema_error", source="demo:malformed", at=T0 - timedelta(hours=1)),
        stored(3, reason="oversized", at=T0),
    ]
    assert [s.offset for s in select(letters, LetterFilter())] == [3, 2, 1, 0]
    assert [s.offset for s in select(letters, LetterFilter(), limit=2)] == [3, 2]
    by_reason = LetterFilter(reasons=frozenset({"schema_error", "oversized"}))
    assert [s.offset for s in select(letters, by_reason)] == [3, 2, 1]
    by_source = LetterFilter(sources=frozenset({"demo:malformed"}))
    assert [s.offset for s in select(letters, by_source)] == [2]
    window = LetterFilter(since=T0 - timedelta(hours=2), until=T0)
    assert [s.offset for s in select(letters, window)] == [2, 1]
    assert [s.offset for s in select(letters, LetterFilter(refs=frozenset({"0:0"})))] == [0]
    assert LetterFilter().is_empty and not window.is_empty
    assert tally(letters)["by_reason"] == {"schema_error": 2, "malformed_json": 1, "oversized": 1}


def test_originals_are_decoded_as_json_text_or_base64() -> None:
    assert decode_original(b'{"a": [1]}') == ("json", {"a": [1]})
    assert decode_original(b'{"a": ') == ("text", '{"a": ')
    assert decode_original(b"caf\xe9") == ("base64", "Y2Fm6Q==")


def test_detail_names_error_origin_and_decoded_original() -> None:
    row = detail(stored(1, original=b'{"text": "ballots"}'))
    assert row["id"] == "1:1"
    assert row["origin"] == "posts[2]@41"
    assert (row["original_topic"], row["original_partition"], row["original_offset"]) == (
        "posts",
        2,
        41,
    )
    assert row["original"] == {"text": "ballots"}
    assert row["original_bytes"] == len(b'{"text": "ballots"}')
    assert row["error"] == "created_at: field required"
    text = render_detail(stored(1, original=b'{"text": "ballots"}'))
    assert "posts[2]@41" in text and '"text": "ballots"' in text


def test_hostile_text_cannot_drive_the_terminal() -> None:
    hostile = stored(
        1, original=b"\x1b[2J\x1b]0;owned\x07 \xe2\x80\xae gnp.exe", source="s\x1b[31m"
    )
    for out in (render_detail(hostile), summary_line(hostile)):
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert printable("a\x1bb\nc") == "a\\u{001b}b\nc"
