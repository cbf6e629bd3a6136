"""Jetstream frames (recorded, documented format) -> posts, deletes, edits, dead letters."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from connectors.live.bluesky_frames import normalise_jetstream
from models.errors import InvalidRecord
from models.post_events import PostDeleted, PostEdited
from models.records import Post
from tests.live_frames import lines

NOW = datetime(2024, 11, 6, 0, 1, tzinfo=UTC)
FRAMES = lines("jetstream.jsonl")
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
DID2 = "did:plc:z72i7hdynmk6r22z27h6tvur"


def run(data: bytes):  # type: ignore[no-untyped-def]
    return normalise_jetstream(data, source="bsky-test", received_at=NOW)


def test_a_post_gets_its_uri_id_web_url_language_links_and_tags() -> None:
    result = run(FRAMES[0])
    (post,) = result.outputs
    assert isinstance(post, Post)
    assert post.id == f"bluesky:at://{DID}/app.bsky.feed.post/3lbaaaaaaaa01"
    assert post.url == f"https://bsky.app/profile/{DID}/post/3lbaaaaaaaa01"
    assert post.platform == "bluesky" and post.source == "bsky-test"
    assert post.author.id == DID
    assert post.language == "en"
    assert post.created_at == datetime(2024, 11, 6, tzinfo=UTC)
    assert post.ingested_at == NOW
    assert post.text.startswith("Polls in Maricopa close at 7pm.")
    assert post.raw is not None
    assert post.raw["links"] == ["https://example.org/vote"]
    assert post.raw["tags"] == ["Election2024"]
    assert post.raw["frame"]["time_us"] == 1730851200001000
    assert result.position == 1730851200001000
    assert result.event_time == datetime(2024, 11, 6, 0, 0, 0, 1000, tzinfo=UTC)


@pytest.mark.parametrize("index", [1, 3, 7])
def test_identity_account_frames_and_other_collections_publish_nothing_but_move_the_cursor(
    index: int,
) -> None:
    frame = json.loads(FRAMES[index])
    result = run(FRAMES[index])
    assert result.outputs == ()
    assert result.position == frame["time_us"]


def test_a_non_english_reply_carries_reply_and_quote_references() -> None:
    (post,) = run(FRAMES[2]).outputs
    assert isinstance(post, Post)
    assert post.language == "es"
    assert "máquinas" in post.text
    assert post.references.reply_to == f"bluesky:at://{DID2}/app.bsky.feed.post/3lbparent0001"
    assert post.references.quote_of == f"bluesky:at://{DID2}/app.bsky.feed.post/3lbquoted0001"


def test_an_image_post_with_empty_text_uses_the_alt_text() -> None:
    (post,) = run(FRAMES[4]).outputs
    assert isinstance(post, Post)
    assert post.text == "Photo of a ballot drop box with a sign saying it is closed"


def test_a_link_card_post_with_empty_text_uses_title_and_description() -> None:
    (post,) = run(FRAMES[9]).outputs
    assert isinstance(post, Post)
    assert post.text.startswith("Official election results\nUnofficial results")
    assert post.raw is not None and post.raw["links"] == ["https://example.org/results"]
    assert post.language == "en"  # detected: the record has no langs


def test_an_update_is_the_new_post_plus_an_edit_event_with_the_same_id() -> None:
    result = run(FRAMES[5])
    post, edited = result.outputs
    assert isinstance(post, Post) and isinstance(edited, PostEdited)
    assert post.text == "Correction: polls in Maricopa close at 7pm local time."
    assert edited.post_id == post.id == f"bluesky:at://{DID}/app.bsky.feed.post/3lbaaaaaaaa01"
    assert edited.edited_at == datetime.fromtimestamp(1730851200006000 / 1e6, tz=UTC)


def test_a_delete_is_a_deletion_event() -> None:
    (deleted,) = run(FRAMES[6]).outputs
    assert isinstance(deleted, PostDeleted)
    assert deleted.post_id == f"bluesky:at://{DID2}/app.bsky.feed.post/3lbaaaaaaaa03"
    assert deleted.source == "bsky-test"


def test_a_reply_to_a_deleted_post_keeps_the_reference_and_quotes_with_media() -> None:
    (post,) = run(FRAMES[8]).outputs
    assert isinstance(post, Post)
    assert post.references.reply_to == f"bluesky:at://{DID2}/app.bsky.feed.post/3lbaaaaaaaa03"
    assert post.references.quote_of == f"bluesky:at://{DID}/app.bsky.feed.post/3lbquoted0009"


def test_dedupe_keys_differ_per_event_and_repeat_for_the_same_frame() -> None:
    keys = [run(frame).dedupe_key for frame in FRAMES]
    commits = [k for k in keys if k is not None]
    assert len(commits) == len(set(commits)) == 7
    assert run(FRAMES[0]).dedupe_key == keys[0]


def test_very_long_text_is_kept_whole() -> None:
    frame = json.loads(FRAMES[0])
    frame["commit"]["record"]["text"] = "word " * 10_000
    (post,) = run(json.dumps(frame).encode()).outputs
    assert isinstance(post, Post)
    assert len(post.text) == len("word " * 10_000) - 1
    assert post.raw_truncated and post.raw is not None and "frame" not in post.raw
    assert post.raw["links"] == ["https://example.org/vote"]


@pytest.mark.parametrize(
    ("index", "reason"),
    [(0, "malformed_json"), (1, "missing_text"), (2, "schema_error"), (3, "invalid_utf8")],
)
def test_bad_frames_raise_invalid_record_with_a_reason(index: int, reason: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        run(lines("jetstream_bad.jsonl")[index])
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "frame",
    [
        {"did": DID, "time_us": 1, "kind": "commit", "commit": "not an object"},
        {"did": DID, "time_us": True, "kind": "commit"},
        {"did": DID, "time_us": 1, "kind": "commit", "commit": {"operation": "create",
         "collection": "app.bsky.feed.post", "rkey": "r", "record": {"text": 42}}},
        {"did": DID, "time_us": 1, "kind": "commit", "commit": {"operation": "bogus",
         "collection": "app.bsky.feed.post", "rkey": "r"}},
        [1, 2, 3],
    ],
)  # fmt: skip
def test_unexpected_shapes_are_schema_errors(frame: object) -> None:
    with pytest.raises(InvalidRecord) as caught:
        run(json.dumps(frame).encode())
    assert caught.value.reason == "schema_error"
