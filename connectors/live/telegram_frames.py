"""Pure parts of the Telegram source: Telethon messages -> JSON frames -> `Post`s and events.

A frame is ``{"event": "new"|"edited", "channel": {id, username, title}, "message":
Message.to_dict()}`` (Telethon's own dict of the TL ``Message``, datetimes as ISO strings, bytes
dropped) or ``{"event": "deleted", "channel": {...}, "deleted_ids": [...]}``. A message becomes a
`Post`: id ``telegram:{channel id}/{message id}``, url ``https://t.me/{username}/{id}`` (public
channels), text = ``message`` (the text or the media caption), created_at = ``date``; a forward
keeps its origin as ``references.repost_of`` (``telegram:{origin channel}/{channel_post}``), a
reply ``references.reply_to``; views, forwards and replies counts as engagement; ``raw.links``
from the URL entities. ``edited`` also gives `PostEdited` (``edit_date``); ``deleted`` gives one
`PostDeleted` per id.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from connectors.live.frames import (
    build_post,
    decode_object,
    field,
    optional,
    parse_time,
    raw_payload,
)
from connectors.live.source import Normalised
from models.errors import InvalidRecord
from models.post_events import PostDeleted, PostEdited
from models.records import Author, Engagement, References
from models.text import detect_language

PLATFORM = "telegram"


def encode_frame(event: str, channel: dict[str, Any], payload: dict[str, Any]) -> bytes:
    """The frame bytes for a Telethon event (`payload`: ``{"message": Message.to_dict()}`` or
    ``{"deleted_ids": [...]}``)."""
    return json.dumps(
        {"event": event, "channel": channel, **payload}, default=_json_default, ensure_ascii=False
    ).encode("utf-8")


def message_id(channel_id: int | str, native: int | str) -> str:
    return f"{PLATFORM}:{channel_id}/{native}"


def normalise_frame(data: bytes, *, source: str, received_at: datetime) -> Normalised:
    """One frame -> `Normalised` (position ``{"channel": id, "id": message id}``). Raises
    `InvalidRecord`."""
    frame = decode_object(data)
    event = field(frame, "event", str)
    channel = field(frame, "channel", dict)
    channel_id = field(channel, "id", int, "channel.")
    common = {"platform": PLATFORM, "source": source, "ingested_at": received_at}
    if event == "deleted":
        ids = field(frame, "deleted_ids", list)
        deleted = tuple(
            PostDeleted(post_id=message_id(channel_id, n), deleted_at=received_at, **common)
            for n in ids
            if isinstance(n, int)
        )
        key = f"deleted|{channel_id}|{sorted(n for n in ids if isinstance(n, int))}"
        return Normalised(deleted, None, key, received_at)
    if event not in ("new", "edited"):
        raise InvalidRecord("schema_error", f"event {event!r} is not known")
    message = field(frame, "message", dict)
    native = field(message, "id", int, "message.")
    text = message.get("message")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRecord("missing_text", "the message has no text or caption")
    username = channel.get("username") if isinstance(channel.get("username"), str) else None
    links = [optional(e, "url") for e in message.get("entities") or []]
    raw, truncated = raw_payload(frame, links=[u for u in links if isinstance(u, str)])
    created = parse_time(message.get("date")) or received_at
    post = build_post(
        id=message_id(channel_id, native),
        platform=PLATFORM,
        source=source,
        author=Author(
            id=str(channel_id),
            handle=username,
            display_name=_text(message.get("post_author")) or _text(channel.get("title")),
        ),
        text=text,
        url=f"https://t.me/{username}/{native}" if username else None,
        created_at=created,
        language=detect_language(text),
        engagement=Engagement(
            views=_count(message.get("views")),
            reposts=_count(message.get("forwards")),
            replies=_count(optional(message, "replies", "replies")),
        ),
        references=References(
            reply_to=_reply(channel_id, message.get("reply_to")),
            repost_of=_forward(message.get("fwd_from")),
        ),
        ingested_at=received_at,
        raw=raw,
        raw_truncated=truncated,
    )
    position = {"channel": channel_id, "id": native}
    if event == "edited":
        edited_at = parse_time(message.get("edit_date")) or received_at
        edited = PostEdited(post_id=post.id, edited_at=edited_at, **common)
        return Normalised((post, edited), position, f"edited|{post.id}|{edited_at}", edited_at)
    return Normalised((post,), position, f"new|{post.id}", created)


def _forward(header: Any) -> str | None:
    channel = optional(header, "from_id", "channel_id")
    post = optional(header, "channel_post")
    if isinstance(channel, int) and isinstance(post, int):
        return message_id(channel, post)
    return None


def _reply(channel_id: int, header: Any) -> str | None:
    reply = optional(header, "reply_to_msg_id")
    peer = optional(header, "reply_to_peer_id", "channel_id")
    if isinstance(reply, int):
        return message_id(peer if isinstance(peer, int) else channel_id, reply)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return None  # file references, thumbnails: not needed, not JSON
    return str(value)
