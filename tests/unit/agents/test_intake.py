"""parse_post: every kind of bad record raises InvalidRecord with the right reason, and its dead
letter (built by the runner with `DeadLetter.of_invalid`) keeps the bytes and the origin."""

from __future__ import annotations

import json

import pytest

from models.dead_letters import DeadLetter, RecordOrigin
from models.errors import InvalidRecord
from models.records import Post
from pipeline.agents.intake import UNKNOWN_SOURCE, parse_post

GOOD = {
    "id": "x:1",
    "platform": "x",
    "source": "test",
    "text": "  The election   was stolen ",
    "created_at": "2024-11-06T00:00:00Z",
}


def _raw(obj: object) -> bytes:
    return json.dumps(obj).encode()


def _dead_letter(raw: bytes, origin: RecordOrigin | None = None) -> DeadLetter:
    with pytest.raises(InvalidRecord) as caught:
        parse_post(raw, max_post_chars=100)
    return DeadLetter.of_invalid(raw, caught.value, origin or RecordOrigin(), source=UNKNOWN_SOURCE)


def test_good_post_is_parsed_and_normalised() -> None:
    post = parse_post(_raw(GOOD), max_post_chars=100)
    assert isinstance(post, Post)
    assert post.text == "The election was stolen"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe{}", "invalid_utf8"),
        (b'{"id": "x:1", ', "malformed_json"),
        (b"[1, 2]", "schema_error"),
        (_raw({**GOOD, "text": None}), "missing_text"),
        (_raw({k: v for k, v in GOOD.items() if k != "text"}), "missing_text"),
        (_raw({**GOOD, "text": " \t\n "}), "missing_text"),
        (_raw({**GOOD, "text": ""}), "missing_text"),
        (_raw({**GOOD, "text": 42}), "schema_error"),
        (_raw({**GOOD, "created_at": "yesterday"}), "schema_error"),
        (_raw({**GOOD, "surprise": 1}), "schema_error"),
        (_raw({**GOOD, "text": "a" * 101}), "oversized"),
        (b" " * 500_000, "oversized"),
    ],
)
def test_bad_records_are_dead_lettered_with_their_reason(raw: bytes, reason: str) -> None:
    origin = RecordOrigin(topic="posts", partition=3, offset=42, key="x:1")
    dead = _dead_letter(raw, origin)
    assert isinstance(dead, DeadLetter)
    assert dead.reason == reason
    assert dead.original_size == len(raw)
    # Originals over DeadLetter.ORIGINAL_MAX_BYTES keep a prefix (the 500 kB one here).
    assert dead.original() == raw[: DeadLetter.ORIGINAL_MAX_BYTES]
    assert dead.original_truncated == (len(raw) > DeadLetter.ORIGINAL_MAX_BYTES)
    assert (dead.original_topic, dead.original_partition, dead.original_offset, dead.key) == (
        "posts",
        3,
        42,
        "x:1",
    )


def test_dead_letter_source_is_the_posts_declared_source_when_readable() -> None:
    dead = _dead_letter(_raw({**GOOD, "text": None}))
    assert isinstance(dead, DeadLetter)
    assert dead.source == "test"
    dead = _dead_letter(b"nope")
    assert isinstance(dead, DeadLetter)
    assert dead.source == "unknown"


def test_text_is_counted_after_normalisation_for_the_size_limit() -> None:
    post = parse_post(_raw({**GOOD, "text": "a" + " " * 200 + "b"}), max_post_chars=100)
    assert post.text == "a b"
