"""Normaliser rules for record sources (JSON objects, CSV rows) -> Post."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.mapping import DEFAULT_MAPPING, build_mapping
from connectors.records import content_id, post_from_record
from models.errors import InvalidRecord
from models.records import RAW_MAX_BYTES

from .conftest import NOW


def make(record: dict[str, Any], **kw: Any) -> Any:
    mapping = kw.pop("mapping", DEFAULT_MAPPING)
    return post_from_record(record, mapping, source="test", now=NOW, **kw)


def base(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "42",
        "platform": "x",
        "text": "Polls close at 8 tonight, stay in line",
        "created_at": "2024-11-06T00:10:00Z",
    }
    record.update(fields)
    return record


def test_text_is_nfc_normalised_and_whitespace_collapsed() -> None:
    decomposed = "Cafe\u0301   au\tlait  \r\n\r\n\r\n\r\n  second  paragraph  "
    post = make(base(text=decomposed))
    assert post.text == "Café au lait\n\nsecond paragraph"


def test_language_is_detected_when_absent_and_kept_when_given() -> None:
    assert (
        make(base(text="Hoy voté por primera vez y fue muy fácil, vayan a votar")).language == "es"
    )
    assert make(base(language="fr")).language == "fr"


def test_id_is_platform_scoped_and_stable() -> None:
    assert make(base()).id == "x:42"
    assert make(base(id="x:42")).id == "x:42"
    assert make(base(id=1853)).id == "x:1853"
    without_id = base()
    del without_id["id"]
    first, second = make(without_id), make(dict(without_id))
    assert first.id == second.id == f"x:{content_id(without_id)}"
    assert make(base(text="another text", id=None)).id != first.id


def test_references_get_the_same_platform_scope() -> None:
    post = make(base(platform="bluesky", references={"reply_to": "3abc", "quote_of": "bluesky:9"}))
    assert post.references.reply_to == "bluesky:3abc"
    assert post.references.quote_of == "bluesky:9"


def test_platform_option_overrides_the_record() -> None:
    post = make(base(platform="reddit"), platform="telegram")
    assert post.platform == "telegram"
    assert post.id == "telegram:42"


def test_missing_created_at_uses_the_given_clock_and_timestamps_are_utc() -> None:
    record = base()
    del record["created_at"]
    assert make(record).created_at == NOW
    assert make(base(created_at="2024-11-05T19:10:00-05:00")).created_at == datetime(
        2024, 11, 6, 0, 10, tzinfo=UTC
    )


def test_nested_fields_and_raw_are_kept() -> None:
    record = base(
        author={"handle": "quiet_owl", "display_name": "Sam Owl", "followers": "120"},
        engagement={"likes": 3, "reposts": 1},
    )
    post = make(record)
    assert post.author.handle == "quiet_owl"
    assert post.author.followers == 120
    assert post.engagement.likes == 3
    assert post.raw == record
    assert post.raw_truncated is False


def test_raw_is_dropped_but_flagged_when_too_big() -> None:
    post = make(base(padding="x" * (RAW_MAX_BYTES + 1)))
    assert post.raw is None
    assert post.raw_truncated is True


@pytest.mark.parametrize(
    ("record", "reason", "detail"),
    [
        (
            {"id": "1", "platform": "x", "created_at": "2024-11-06T00:00:00Z"},
            "missing_text",
            "no text",
        ),
        (base(text=" \t\n "), "missing_text", "empty"),
        (base(text=None), "missing_text", "no text"),
        (base(text=12345), "schema_error", "text must be a string"),
        (base(text=["a"]), "schema_error", "text must be a string"),
        (base(author={"followers": "many"}), "schema_error", "author.followers"),
        (base(author={"followers": -3}), "schema_error", "author.followers"),
        (base(created_at="sometime tonight"), "schema_error", "created_at"),
        (base(platform=None), "schema_error", "no platform"),
        (base(id=True), "schema_error", "id must be a string"),
        (base(url=["not", "a", "string"]), "schema_error", "url"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(
    record: dict[str, Any], reason: str, detail: str
) -> None:
    with pytest.raises(InvalidRecord) as caught:
        make(record)
    assert caught.value.reason == reason
    assert detail in caught.value.detail


def test_mapping_reads_other_shapes() -> None:
    tweet = {
        "id_str": "1853",
        "full_text": "Line at my polling place was 20 minutes",
        "user": {"screen_name": "harbor_fox", "followers_count": 12},
        "ts": 1730851200,
    }
    mapping = build_mapping(
        {
            "id": "id_str",
            "text": "full_text",
            "author.handle": "user.screen_name",
            "author.followers": "user.followers_count",
            "created_at": "ts",
        }
    )
    post = make(tweet, mapping=mapping, platform="x")
    assert post.id == "x:1853"
    assert post.text == "Line at my polling place was 20 minutes"
    assert post.author.handle == "harbor_fox"
    assert post.author.followers == 12
    assert post.created_at == datetime(2024, 11, 6, tzinfo=UTC)


def test_text_over_the_limit_is_not_truncated_by_the_normaliser() -> None:
    long_text = "word " * 5000
    assert len(make(base(text=long_text)).text) == len(long_text.strip())
