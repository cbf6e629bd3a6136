"""Telegram: messages built with Telethon's own TL types -> frames -> posts, forwards, edits,
deletions. (The I/O half runs against a local MTProto server in
``tests/integration/test_live_telegram.py``.)"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from telethon.tl.types import (
    Message,
    MessageEntityTextUrl,
    MessageFwdHeader,
    MessageReplies,
    MessageReplyHeader,
    PeerChannel,
)

from connectors.live.telegram_frames import encode_frame, normalise_frame
from models.errors import InvalidRecord
from models.post_events import PostDeleted, PostEdited
from models.records import Post

NOW = datetime(2024, 11, 6, 12, tzinfo=UTC)
CHANNEL = {"id": 1234567890, "username": "county_elections", "title": "County Elections"}


def message(**kw: object) -> Message:
    fields: dict[str, object] = {
        "id": 501,
        "peer_id": PeerChannel(1234567890),
        "date": datetime(2024, 11, 6, 9, tzinfo=UTC),
        "message": "Polling places are open until 8 p.m. Find yours: elections.example/where",
        "entities": [
            MessageEntityTextUrl(offset=49, length=22, url="https://elections.example/where")
        ],
        "views": 5400,
        "forwards": 31,
        "replies": MessageReplies(replies=4, replies_pts=1),
        "post_author": "Press Office",
    }
    fields.update(kw)
    return Message(**fields)  # type: ignore[arg-type]


def run(data: bytes):  # type: ignore[no-untyped-def]
    return normalise_frame(data, source="tg", received_at=NOW)


def test_a_channel_post_becomes_a_post() -> None:
    result = run(encode_frame("new", CHANNEL, {"message": message().to_dict()}))
    (post,) = result.outputs
    assert isinstance(post, Post)
    assert post.id == "telegram:1234567890/501"
    assert post.url == "https://t.me/county_elections/501"
    assert post.author.handle == "county_elections" and post.author.display_name == "Press Office"
    assert (post.engagement.views, post.engagement.reposts, post.engagement.replies) == (
        5400,
        31,
        4,
    )
    assert post.created_at == datetime(2024, 11, 6, 9, tzinfo=UTC) and post.language == "en"
    assert post.raw is not None and post.raw["links"] == ["https://elections.example/where"]
    assert result.position == {"channel": 1234567890, "id": 501}


def test_a_forward_keeps_its_origin_as_a_repost_and_a_reply_its_parent() -> None:
    forwarded = message(
        id=502,
        message="Las urnas cierran a las 8 p.m.; los votos por correo cuentan si llegan a tiempo.",
        fwd_from=MessageFwdHeader(date=NOW, from_id=PeerChannel(999), channel_post=77),
        reply_to=MessageReplyHeader(reply_to_msg_id=480),
    )
    (post,) = run(encode_frame("new", CHANNEL, {"message": forwarded.to_dict()})).outputs
    assert isinstance(post, Post)
    assert post.references.repost_of == "telegram:999/77"
    assert post.references.reply_to == "telegram:1234567890/480"  # a reply to a deleted post too
    assert post.language == "es"


def test_an_edit_is_the_new_post_and_an_edit_event() -> None:
    edited = message(message="Polling places are open until 8 p.m. local time.", edit_date=NOW)
    post, event = run(encode_frame("edited", CHANNEL, {"message": edited.to_dict()})).outputs
    assert isinstance(post, Post) and isinstance(event, PostEdited)
    assert event.post_id == post.id and event.edited_at == NOW


def test_deletions_name_every_message() -> None:
    events = run(encode_frame("deleted", CHANNEL, {"deleted_ids": [501, 502]})).outputs
    assert [e.post_id for e in events if isinstance(e, PostDeleted)] == [
        "telegram:1234567890/501",
        "telegram:1234567890/502",
    ]


def test_a_long_message_is_kept_whole() -> None:
    text = "Certification update. " * 400
    (post,) = run(
        encode_frame("new", CHANNEL, {"message": message(message=text).to_dict()})
    ).outputs
    assert isinstance(post, Post) and len(post.text) == len(text.strip())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (encode_frame("new", CHANNEL, {"message": message(message="").to_dict()}), "missing_text"),
        (encode_frame("new", {"username": "x"}, {"message": message().to_dict()}), "schema_error"),
        (encode_frame("pinned", CHANNEL, {}), "schema_error"),
        (b'{"event": "new", ', "malformed_json"),
    ],
)
def test_bad_frames_raise_invalid_record(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        run(data)
    assert caught.value.reason == reason


class Newest:
    """Answers ``get_messages(entity, limit=1)`` from a fixed newest id per channel."""

    def __init__(self, newest: dict[int, int | None]) -> None:
        self.newest = newest
        self.asked: list[int] = []

    async def get_messages(self, entity: PeerChannel, limit: int) -> list[Message]:
        assert limit == 1
        self.asked.append(entity.channel_id)
        found = self.newest[entity.channel_id]
        return [] if found is None else [message(id=found)]


def test_a_new_channel_starts_at_its_newest_message_and_a_known_one_keeps_its_checkpoint(
    tmp_path: Path,
) -> None:
    import asyncio

    from connectors.live.telegram import TelegramOptions, TelegramSource

    secret = tmp_path / "hash"
    secret.write_text("0123456789abcdef\n")
    options = TelegramOptions(
        channels=("a", "b", "c"), session_file=tmp_path / "s", api_id=1, api_hash_file=secret
    )
    source = TelegramSource(options, source="tg")
    source.restore({"channels": {"1": 40}})
    client = Newest({1: 90, 2: 7, 3: None})
    entities = [PeerChannel(n) for n in (1, 2, 3)]
    for e in entities:
        e.id = e.channel_id  # type: ignore[attr-defined]  # resolved channels carry .id
    assert asyncio.run(source.start_positions(client, entities)) == {2, 3}
    assert client.asked == [2, 3]
    assert source.checkpoint() == {"channels": {"1": 40, "2": 7, "3": 0}}
