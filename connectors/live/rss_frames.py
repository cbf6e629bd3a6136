"""Pure parts of the RSS/Atom source: a feed body -> item records (feedparser), an item record ->
an article `Post`.

An item record is a small JSON object the reader builds from one feedparser entry, so the frame
(and a dead letter) carries exactly what was read: ``{feed, feed_title, language, guid, link,
title, content, content_type, published, author}``. The post: platform ``web``, id
``web:{sha256(guid, else link)[:16]}`` (the same item in two feeds is one post), title, url =
link, text = the content (HTML to text, paragraphs kept) or the summary; created_at = published,
else updated, else the time it was read. Long articles are split by the oversize rule
(``connectors.size``) like article files.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from connectors.article_parsing import parse_html_article
from connectors.live.frames import build_post, decode_object, parse_time
from connectors.live.source import Normalised
from models.errors import InvalidRecord
from models.records import Author
from models.text import detect_language, normalise_text

PLATFORM = "web"
_LANGUAGE_SAMPLE_CHARS = 2_000


class FeedError(ValueError):
    """A body that is not a feed at all (not RSS, not Atom)."""


def item_key(entry: dict[str, Any]) -> str | None:
    """What identifies an item across fetches and restarts: its guid/id, else its link."""
    for name in ("id", "guid", "link"):
        value = entry.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def parse_feed(body: bytes, feed_url: str) -> list[dict[str, Any]]:
    """The item records of a feed body, oldest first. Raises `FeedError` when feedparser finds
    no feed in it (a broken body that still yields entries is accepted, as feedparser does)."""
    import feedparser

    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "no RSS or Atom feed found"
        raise FeedError(f"not a feed: {reason}")
    feed = parsed.feed
    items = []
    for entry in parsed.entries:
        content = entry.get("content") or []
        body_html = content[0].get("value") if content else entry.get("summary")
        body_type = (
            content[0].get("type") if content else entry.get("summary_detail", {}).get("type")
        )
        items.append(
            {
                "feed": feed_url,
                "feed_title": feed.get("title"),
                "language": feed.get("language"),
                "guid": item_key(entry),
                "link": entry.get("link"),
                "title": entry.get("title"),
                "content": body_html,
                "content_type": body_type,
                "published": _iso(entry.get("published_parsed") or entry.get("updated_parsed")),
                "author": entry.get("author"),
            }
        )
    items.reverse()  # feeds list newest first; publish in the order things happened
    return items


def item_id(key: str) -> str:
    return f"{PLATFORM}:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"


def encode_item(item: dict[str, Any]) -> bytes:
    return json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8")


def normalise_item(data: bytes, *, source: str, received_at: datetime) -> Normalised:
    """One item record -> `Normalised` (position ``{"feed", "guid"}``). Raises `InvalidRecord`."""
    item = decode_object(data)
    key = item.get("guid")
    feed = item.get("feed")
    if not isinstance(key, str) or not key or not isinstance(feed, str):
        raise InvalidRecord("schema_error", "the item has no guid or link")
    content = item.get("content")
    text = ""
    if isinstance(content, str):
        plain = item.get("content_type") == "text/plain"
        text = normalise_text(content) if plain else parse_html_article(content).body
    title = item.get("title") if isinstance(item.get("title"), str) else None
    title = normalise_text(title or "") or None
    if not text and title:
        text = title
    if not text:
        raise InvalidRecord("missing_text", "the item has no content, summary or title")
    language = item.get("language")
    language = language.split("-")[0].lower() if isinstance(language, str) and language else None
    post = build_post(
        id=item_id(key),
        platform=PLATFORM,
        source=source,
        author=Author(display_name=item["author"] if isinstance(item.get("author"), str) else None),
        text=text,
        title=title,
        url=item.get("link") if isinstance(item.get("link"), str) else None,
        created_at=parse_time(item.get("published")) or received_at,
        language=language or detect_language(text[:_LANGUAGE_SAMPLE_CHARS]),
        ingested_at=received_at,
        raw={"feed": feed, "guid": key, "feed_title": item.get("feed_title")},
    )
    published = parse_time(item.get("published"))
    return Normalised((post,), {"feed": feed, "guid": key}, f"{feed}|{key}", published)


def _iso(value: Any) -> str | None:
    """A feedparser ``*_parsed`` time (a UTC struct_time) as ISO 8601."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError):
        return None
