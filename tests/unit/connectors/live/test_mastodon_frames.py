"""Mastodon streaming messages (recorded, documented format) -> posts, boosts, edits, deletes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.live.mastodon_frames import normalise_streaming
from models.errors import InvalidRecord
from models.post_events import PostDeleted, PostEdited
from models.records import Post
from tests.live_frames import lines

NOW = datetime(2024, 11, 6, 2, tzinfo=UTC)
FRAMES = lines("mastodon.jsonl")
HOST = "mastodon.example"


def run(data: bytes):  # type: ignore[no-untyped-def]
    return normalise_streaming(data, host=HOST, source="m", received_at=NOW)


def test_an_update_becomes_a_post_with_html_as_text_links_and_author() -> None:
    result = run(FRAMES[0])
    (post,) = result.outputs
    assert isinstance(post, Post)
    assert post.id == "mastodon:mastodon.example/113434001"
    assert post.text == (
        "Ballot drop boxes close at 8 p.m. on Election Day. Find yours: "
        "elections.example/dropbox #vote\n\nQuestions? Call the office."
    )
    assert post.url == "https://elections.example/@countyclerk/113434001"
    assert post.author.handle == "countyclerk@elections.example"
    assert post.author.followers == 1520 and post.author.display_name == "County Clerk"
    assert (post.engagement.likes, post.engagement.reposts, post.engagement.replies) == (9, 5, 2)
    assert post.created_at == datetime(2024, 11, 6, 1, tzinfo=UTC)
    assert post.raw is not None and post.raw["links"] == ["https://elections.example/dropbox"]
    assert post.raw["tags"] == ["vote"]
    assert result.position == "113434001"


def test_a_boost_is_a_repost_by_the_booster_with_the_boosted_text() -> None:
    (post,) = run(FRAMES[1]).outputs
    assert isinstance(post, Post)
    assert post.id == "mastodon:mastodon.example/113434003"
    assert post.author.handle == "ana"
    assert post.text == "Voting machines are tested in public before every election."
    assert post.references.repost_of == "mastodon:mastodon.example/113434002"
    assert post.language == "en"  # the boosted status's language


def test_other_events_publish_nothing() -> None:
    result = run(FRAMES[2])
    assert result.outputs == () and result.position is None


def test_a_picture_post_uses_the_media_description_and_the_content_warning_as_title() -> None:
    (post,) = run(FRAMES[3]).outputs
    assert isinstance(post, Post)
    assert post.text == "Foto eines Wahllokals mit einer langen Schlange"
    assert post.title == "Wahl" and post.language == "de"
    assert post.references.reply_to == "mastodon:mastodon.example/113434001"


def test_status_update_is_the_new_post_and_an_edit_event() -> None:
    post, edited = run(FRAMES[4]).outputs
    assert isinstance(post, Post) and isinstance(edited, PostEdited)
    assert "local time" in post.text and edited.post_id == post.id
    assert edited.edited_at == datetime(2024, 11, 6, 1, 5, tzinfo=UTC)


def test_delete_names_the_local_status_id() -> None:
    (deleted,) = run(FRAMES[5]).outputs
    assert isinstance(deleted, PostDeleted)
    assert deleted.post_id == "mastodon:mastodon.example/113434004"
    assert deleted.deleted_at == NOW


@pytest.mark.parametrize(
    ("index", "reason"),
    [(0, "malformed_json"), (1, "missing_text"), (2, "schema_error"), (3, "schema_error")],
)
def test_bad_messages_raise_invalid_record(index: int, reason: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        run(lines("mastodon_bad.jsonl")[index])
    assert caught.value.reason == reason
