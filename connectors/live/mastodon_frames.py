"""Pure normaliser of Mastodon streaming messages (WebSocket ``/api/v1/streaming``).

Message shape: ``{stream: [...], event, payload}`` where `payload` is a JSON STRING: a status
for ``update`` and ``status.update``, the bare status id for ``delete``. Other events
(notifications, filters, announcements) publish nothing. A status becomes a `Post`:

- id ``mastodon:{instance host}/{status id}`` (status ids are per instance: a ``delete`` names
  only the local id), url = the status's web url (else its ActivityPub uri);
- text = the HTML ``content`` as text (paragraphs kept); an empty content (a picture post) uses
  the media descriptions; the content warning (``spoiler_text``) is the title;
- a boost (``reblog`` set) is a post by the booster with the boosted status's text and
  ``references.repost_of`` the boosted status; ``in_reply_to_id`` -> reply_to;
  ``quote.quoted_status`` (Mastodon 4.4+) -> quote_of;
- author: account id, ``acct`` as handle, display name, followers; engagement from the counts;
- ``raw``: ``{"links": [...], "tags": [...], "frame": status}``: the content's links (hashtag
  and mention links left out) and the card's url.

``status.update`` gives the new `Post` plus `PostEdited` (``edited_at``); ``delete`` gives
`PostDeleted`. Checkpoint position: the status id (for the REST backfill after a restart).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from connectors.article_parsing import parse_html_article
from connectors.live.frames import (
    build_post,
    decode_json,
    decode_object,
    field,
    optional,
    parse_time,
    raw_payload,
)
from connectors.live.source import Normalised
from models.errors import InvalidRecord
from models.post_events import PostDeleted, PostEdited
from models.records import Author, Engagement, Post, References
from models.text import detect_language

PLATFORM = "mastodon"
_HREF = re.compile(r"""href=["']([^"']+)["']""")


def status_id(host: str, native: str) -> str:
    return f"{PLATFORM}:{host}/{native}"


def normalise_streaming(
    data: bytes, *, host: str, source: str, received_at: datetime
) -> Normalised:
    """One streaming message from instance `host` -> `Normalised`. Raises `InvalidRecord`."""
    message = decode_object(data)
    event = field(message, "event", str)
    if event not in ("update", "status.update", "delete"):
        return Normalised()
    payload = field(message, "payload", str)
    common = {"platform": PLATFORM, "source": source, "ingested_at": received_at}
    if event == "delete":
        native = payload.strip()
        if not native:
            raise InvalidRecord("schema_error", "delete payload is empty")
        deleted = PostDeleted(post_id=status_id(host, native), deleted_at=received_at, **common)
        return Normalised((deleted,), None, f"delete|{native}", received_at)
    status = decode_json(payload.encode("utf-8", "surrogatepass"))
    if not isinstance(status, dict):
        raise InvalidRecord("schema_error", "payload must be a JSON object (a status)")
    post = status_post(status, host=host, source=source, received_at=received_at)
    native = str(status["id"])
    if event == "status.update":
        edited_at = parse_time(status.get("edited_at")) or received_at
        edited = PostEdited(post_id=post.id, edited_at=edited_at, **common)
        key = f"edit|{native}|{status.get('edited_at')}"
        return Normalised((post, edited), native, key, edited_at)
    return Normalised((post,), native, f"update|{native}", post.created_at)


def status_post(status: dict[str, Any], *, host: str, source: str, received_at: datetime) -> Post:
    """The `Post` of one status (see module docstring). Raises `InvalidRecord`."""
    native = field(status, "id", (str, int))
    account = field(status, "account", dict)
    shown = status.get("reblog") if isinstance(status.get("reblog"), dict) else status
    assert isinstance(shown, dict)
    content = shown.get("content")
    if content is not None and not isinstance(content, str):
        raise InvalidRecord("schema_error", "content must be a string")
    text = parse_html_article(content or "").body
    if not text:
        alts = [optional(m, "description") for m in shown.get("media_attachments") or []]
        text = "\n".join(a for a in alts if isinstance(a, str) and a.strip())
    if not text:
        raise InvalidRecord("missing_text", "the status has no content and no media description")
    links = _HREF.findall(content or "")
    card = optional(shown, "card", "url")
    if isinstance(card, str):
        links.append(card)
    tags = [optional(t, "name") for t in shown.get("tags") or []]
    raw, truncated = raw_payload(
        status,
        links=[u for u in dict.fromkeys(links) if "/tags/" not in u and "/@" not in u],
        tags=[t for t in tags if isinstance(t, str)],
    )
    reblog = status.get("reblog")
    quoted = optional(shown, "quote", "quoted_status", "id")
    language = shown.get("language") if isinstance(shown.get("language"), str) else None
    return build_post(
        id=status_id(host, str(native)),
        platform=PLATFORM,
        source=source,
        author=Author(
            id=_str(account.get("id")),
            handle=_str(account.get("acct")),
            display_name=_str(account.get("display_name")) or None,
            followers=_count(account.get("followers_count")),
        ),
        text=text,
        title=_str(shown.get("spoiler_text")) or None,
        url=_str(status.get("url")) or _str(status.get("uri")),
        created_at=parse_time(status.get("created_at")) or received_at,
        language=language or detect_language(text),
        engagement=Engagement(
            likes=_count(shown.get("favourites_count")),
            reposts=_count(shown.get("reblogs_count")),
            replies=_count(shown.get("replies_count")),
        ),
        references=References(
            reply_to=_ref(host, shown.get("in_reply_to_id")),
            quote_of=_ref(host, quoted),
            repost_of=_ref(host, optional(reblog, "id")),
        ),
        ingested_at=received_at,
        raw=raw,
        raw_truncated=truncated,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _ref(host: str, value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
        return status_id(host, str(value))
    return None
