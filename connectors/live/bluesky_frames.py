"""Pure normaliser of Bluesky Jetstream frames (``/subscribe``, JSON).

Frame shape: ``{did, time_us, kind}``; ``kind="commit"`` carries ``commit: {rev, operation
(create|update|delete), collection, rkey, record, cid}``; ``identity`` and ``account`` frames and
other collections are read (the cursor moves) and publish nothing. A post
(``app.bsky.feed.post``) becomes a `Post`:

- id ``bluesky:at://{did}/app.bsky.feed.post/{rkey}`` (the at:// URI), url
  ``https://bsky.app/profile/{did}/post/{rkey}``, author id = the DID (Jetstream has no handles);
- text = ``record.text``; for an empty text (an image post) the images' alt texts, else the link
  card's title and description; nothing at all -> ``missing_text``;
- created_at = ``record.createdAt`` (else the frame's ``time_us``), language = ``record.langs[0]``
  (else detected);
- references: ``reply.parent.uri`` -> reply_to, a quoted post (``app.bsky.embed.record``, or
  ``recordWithMedia``) -> quote_of, both as ``bluesky:at://...`` ids;
- ``raw``: ``{"links": [...], "tags": [...], "frame": {...}}``: links from the link facets and the
  link card, hashtags from tag facets (the frame itself only when under the raw size limit).

An ``update`` commit gives the new `Post` plus `PostEdited`; a ``delete`` gives `PostDeleted`.
"""

from __future__ import annotations

from datetime import UTC, datetime
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
from models.records import Author, References
from models.text import detect_language, normalise_text

PLATFORM = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
_LINK = "app.bsky.richtext.facet#link"
_TAG = "app.bsky.richtext.facet#tag"


def post_uri(did: str, rkey: str, collection: str = POST_COLLECTION) -> str:
    return f"at://{did}/{collection}/{rkey}"


def post_id(uri: str) -> str:
    """The narrmon id of the post at `uri`: ``bluesky:{at:// uri}``."""
    return f"{PLATFORM}:{uri}"


def web_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def time_us_to_datetime(time_us: int) -> datetime:
    return datetime.fromtimestamp(time_us / 1_000_000, tz=UTC)


def normalise_jetstream(data: bytes, *, source: str, received_at: datetime) -> Normalised:
    """One Jetstream frame -> `Normalised` (position = ``time_us``). Raises `InvalidRecord`."""
    frame = decode_object(data)
    did = field(frame, "did", str)
    time_us = field(frame, "time_us", int)
    kind = field(frame, "kind", str)
    event_time = time_us_to_datetime(time_us)
    if kind != "commit":
        return Normalised(position=time_us, event_time=event_time)
    commit = field(frame, "commit", dict)
    operation = field(commit, "operation", str, "commit.")
    collection = field(commit, "collection", str, "commit.")
    rkey = field(commit, "rkey", str, "commit.")
    if collection != POST_COLLECTION:
        return Normalised(position=time_us, event_time=event_time)
    uri = post_uri(did, rkey)
    dedupe = f"{uri}|{operation}|{commit.get('rev') or time_us}"
    common = {"post_id": post_id(uri), "platform": PLATFORM, "source": source}
    if operation == "delete":
        deleted = PostDeleted(**common, deleted_at=event_time, ingested_at=received_at)
        return Normalised((deleted,), time_us, dedupe, event_time)
    if operation not in ("create", "update"):
        raise InvalidRecord("schema_error", f"commit.operation {operation!r} is not known")
    record = field(commit, "record", dict, "commit.")
    text = _text(record)
    post = build_post(
        id=post_id(uri),
        platform=PLATFORM,
        source=source,
        author=Author(id=did),
        text=text,
        url=web_url(did, rkey),
        created_at=parse_time(record.get("createdAt")) or event_time,
        language=_language(record, text),
        references=_references(record),
        ingested_at=received_at,
        **_raw(frame, record),
    )
    if operation == "update":
        edited = PostEdited(**common, edited_at=event_time, ingested_at=received_at)
        return Normalised((post, edited), time_us, dedupe, event_time)
    return Normalised((post,), time_us, dedupe, event_time)


def _text(record: dict[str, Any]) -> str:
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        raise InvalidRecord(
            "schema_error", f"record.text must be a string, got {type(text).__name__}"
        )
    if text and normalise_text(text):
        return text
    embed = record.get("embed")
    media = optional(embed, "media") or embed
    alts = [optional(image, "alt") for image in (optional(media, "images") or [])]
    alts.append(optional(media, "alt"))
    described = [alt for alt in alts if isinstance(alt, str) and alt.strip()]
    if described:
        return "\n".join(described)
    card = optional(embed, "external")
    parts = [optional(card, "title"), optional(card, "description")]
    described = [part for part in parts if isinstance(part, str) and part.strip()]
    if described:
        return "\n".join(described)
    raise InvalidRecord("missing_text", "the post has no text, alt text or link card")


def _language(record: dict[str, Any], text: str) -> str | None:
    langs = record.get("langs")
    if isinstance(langs, list) and langs and isinstance(langs[0], str) and langs[0].strip():
        return langs[0].strip().split("-")[0].lower()
    return detect_language(text)


def _post_ref(uri: Any) -> str | None:
    if isinstance(uri, str) and uri.startswith("at://") and f"/{POST_COLLECTION}/" in uri:
        return post_id(uri)
    return None


def _references(record: dict[str, Any]) -> References:
    embed = record.get("embed")
    kind = optional(embed, "$type")
    quoted = None
    if kind == "app.bsky.embed.record":
        quoted = optional(embed, "record", "uri")
    elif kind == "app.bsky.embed.recordWithMedia":
        quoted = optional(embed, "record", "record", "uri")
    return References(
        reply_to=_post_ref(optional(record, "reply", "parent", "uri")),
        quote_of=_post_ref(quoted),
    )


def _raw(frame: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    links: list[str] = []
    tags: list[str] = []
    for facet in record.get("facets") or []:
        for feature in optional(facet, "features") or []:
            if optional(feature, "$type") == _LINK and isinstance(feature.get("uri"), str):
                links.append(feature["uri"])
            elif optional(feature, "$type") == _TAG and isinstance(feature.get("tag"), str):
                tags.append(feature["tag"])
    card_uri = optional(record, "embed", "external", "uri")
    if isinstance(card_uri, str):
        links.append(card_uri)
    raw, truncated = raw_payload(
        frame, links=list(dict.fromkeys(links)), tags=list(dict.fromkeys(tags))
    )
    return {"raw": raw, "raw_truncated": truncated}
