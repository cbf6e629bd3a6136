"""What a replay publishes and what it skips (no broker)."""

from __future__ import annotations

import json
from functools import partial

import pytest

from models.dead_letters import DeadLetter
from pipeline.agents.intake import parse_post
from pipeline.dlq.letters import StoredLetter
from pipeline.dlq.replay import (
    FixFileError,
    from_fix_file,
    from_letters,
    plan,
    refused_positions,
    wanted_ids,
)
from tests.factories import make_post

parse = partial(parse_post, max_post_chars=100)


def letter(offset: int, original: bytes, *, topic: str | None = "posts") -> StoredLetter:
    dead = DeadLetter.of(
        original,
        "unexpected_error",
        "boom",
        "t",
        original_topic=topic,
        original_partition=0 if topic else None,
        original_offset=offset if topic else None,
    )
    return StoredLetter(partition=0, offset=offset, letter=dead)


def post_bytes(n: int, **fields: object) -> bytes:
    return make_post(n, **fields).model_dump_json().encode()  # type: ignore[arg-type]


def test_invalid_originals_are_skipped_with_the_reason_the_worker_would_give() -> None:
    letters = [letter(1, post_bytes(1)), letter(2, b'{"id": "x:2"'), letter(3, b'{"text": ""}')]
    result = plan(from_letters(letters, parse), delivered={})
    assert [c.ref for c in result.publish] == ["0:1"]
    assert [c.post.id for c in result.publish if c.post] == ["x:1"]
    assert [(s.ref, s.why.split(":")[0:2]) for s in result.skipped] == [
        ("0:2", ["still invalid", " malformed_json"]),
        ("0:3", ["still invalid", " missing_text"]),
    ]


def test_posts_already_delivered_or_repeated_are_not_published_twice() -> None:
    candidates = from_letters(
        [letter(1, post_bytes(1)), letter(2, post_bytes(2)), letter(3, post_bytes(2))], parse
    )
    assert wanted_ids(candidates) == {"x:1", "x:2"}
    result = plan(candidates, delivered={"x:1": "posts[4]@9"})
    assert [c.ref for c in result.publish] == ["0:2"]
    assert [s.why for s in result.skipped] == [
        "already delivered: x:1 is on the posts topic at posts[4]@9",
        "duplicate: x:2 is replayed from 0:2",
    ]


def test_the_refused_copy_of_a_post_does_not_count_as_delivered() -> None:
    letters = [letter(7, post_bytes(1)), letter(8, b"x", topic=None), letter(9, b"y", topic="hits")]
    assert refused_positions(letters, "posts") == {(0, 7)}


def test_a_fix_file_is_validated_line_by_line_and_fails_fast() -> None:
    good = [post_bytes(1) + b"\n", b"\n", post_bytes(2) + b"\r\n"]
    candidates = from_fix_file("fix.jsonl", good, parse)
    assert [(c.ref, c.post.id if c.post else None) for c in candidates] == [
        ("fix.jsonl:1", "x:1"),
        ("fix.jsonl:3", "x:2"),
    ]
    bad = [post_bytes(1), json.dumps({"id": "x:2", "platform": "x", "text": "t"}).encode()]
    with pytest.raises(FixFileError, match=r"fix.jsonl, line 2: still invalid: schema_error"):
        from_fix_file("fix.jsonl", bad, parse)
    with pytest.raises(FixFileError, match="no records"):
        from_fix_file("empty.jsonl", [b"\n"], parse)
