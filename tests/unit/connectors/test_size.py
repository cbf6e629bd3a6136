from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.size import enforce_size, split_text
from models.errors import InvalidRecord
from models.records import Post


def post(text: str) -> Post:
    return Post(
        id="web:abc",
        platform="web",
        source="t",
        text=text,
        created_at=datetime(2024, 11, 6, tzinfo=UTC),
    )


def test_text_within_limit_is_one_chunk() -> None:
    assert split_text("short text", 20) == ["short text"]
    assert split_text("exactly ten", 11) == ["exactly ten"]


def test_paragraphs_are_packed_greedily() -> None:
    text = "aaaa aaaa\n\nbbbb\n\ncccc cccc cccc"
    assert split_text(text, 16) == ["aaaa aaaa\n\nbbbb", "cccc cccc cccc"]


def test_long_paragraph_falls_back_to_lines_then_sentences_then_words() -> None:
    assert split_text("one two.\nthree four.", 12) == ["one two.", "three four."]
    assert split_text("First one. Second one. Third.", 22) == ["First one. Second one.", "Third."]
    assert split_text("alpha beta gamma delta", 11) == ["alpha beta", "gamma delta"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_split_never_exceeds_the_limit_nor_drops_words() -> None:
    words = [f"w{i}" for i in range(500)]
    text = "\n\n".join(" ".join(words[i : i + 37]) + "." for i in range(0, 500, 37))
    for limit in (5, 17, 64, 300):
        chunks = split_text(text, limit)
        assert all(0 < len(c) <= limit for c in chunks)
        assert " ".join(chunks).split() == text.split()


def test_invalid_limit() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        split_text("a", 0)


def test_enforce_size_split_and_reject() -> None:
    short = post("fits")
    assert enforce_size(short, 10, "reject") == [short]
    long = post("para one\n\npara two\n\npara three")
    parts = enforce_size(long, 10, "split")
    assert [p.id for p in parts] == ["web:abc#p0", "web:abc#p1", "web:abc#p2"]
    assert [p.text for p in parts] == ["para one", "para two", "para three"]
    assert all(p.part is not None and p.part.count == 3 for p in parts)
    with pytest.raises(InvalidRecord) as caught:
        enforce_size(long, 10, "reject")
    assert caught.value.reason == "oversized"
