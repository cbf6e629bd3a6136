"""Posts that enter through the API: a partner's batch (`IngestRequest`) and one crowd report
(`ReportRequest`, turned into a `Post` by `report_post`). Pure: no Kafka, no clock unless passed.

A report becomes a post like any other, so the worker matches it like any other:

- ``id``: ``report:`` + the first 32 hex digits of a SHA-256 over the reporter id, the reported
  platform, the normalised text and the URL (`report_id`). The same reporter sending the same
  report twice publishes the same id, so the index keeps one hit per narrative, not two.
- ``platform``: the platform the reported content is on (so platform filters keep working);
  ``source``: ``report:<reporter id>``, so an analyst sees who reported it on every hit;
  ``url``: the reported URL; ``text``: the reported text, or the URL when only a URL was sent.
- ``raw.report``: the reporter (id, handle), category, note and when the API received it. ``raw``
  is stored with the hit for reviewers (not searchable; ``post.source`` is).

Limits: a batch carries at most ``api.ingest_max_posts`` posts and every text at most
``worker.max_post_chars`` characters (the worker would dead-letter longer ones); both are checked
here and answered with 400 naming the field (`ParamError`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from models.records import Author, Post, UtcDatetime
from models.text import normalise_text
from pipeline.api.params import ParamError

REPORT_PREFIX = "report:"
_SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_PLATFORM = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_REPORTER_ID = r"^[\w.@:+-]{1,128}$"
_HTTP_URL = r"^https?://\S+$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestRequest(_Body):
    """A batch of posts in narrmon's `Post` JSON shape (``id``, ``platform``, ``source``,
    ``text``, ``created_at`` required; ids stable and source-scoped, ``"{platform}:{native id}"``,
    so a re-sent post is the same post)."""

    posts: list[Post] = Field(min_length=1)


class Reporter(_Body):
    id: str = Field(pattern=_REPORTER_ID, description="Stable id of the reporter.")
    handle: str | None = Field(default=None, max_length=128)


class ReportRequest(_Body):
    """One crowd report: the reported text and/or URL, where it was seen, who reports it."""

    text: str | None = Field(default=None, max_length=100_000, description="The reported text.")
    url: str | None = Field(
        default=None, max_length=2048, pattern=_HTTP_URL, description="Link to the content."
    )
    platform: str = Field(pattern=_PLATFORM, description="Where the content is, e.g. x, bluesky.")
    reporter: Reporter
    category: str = Field(pattern=_SLUG, description="The reporter's category, a slug.")
    note: str | None = Field(default=None, max_length=2_000)
    author: str | None = Field(
        default=None, max_length=256, description="Handle of the reported account, if known."
    )
    posted_at: UtcDatetime | None = Field(
        default=None, description="When the reported content was posted (default: now)."
    )


class Accepted(BaseModel):
    """The posts were stored on the posts topic (acknowledged by every in-sync replica); matching
    happens asynchronously."""

    accepted: int
    post_ids: list[str]


def check_batch(posts: Sequence[Post], *, max_posts: int, max_chars: int) -> None:
    """Raise `ParamError` for a batch over `max_posts` (``posts``) or a text over `max_chars`
    characters (``posts.<i>.text``)."""
    if len(posts) > max_posts:
        raise ParamError("posts", f"at most {max_posts} posts per request, got {len(posts)}")
    for i, post in enumerate(posts):
        if len(post.text) > max_chars:
            raise ParamError(f"posts.{i}.text", f"longer than {max_chars} characters")


def report_id(reporter_id: str, platform: str, text: str | None, url: str | None) -> str:
    """The stable post id of a report (see the module docstring)."""
    content = [reporter_id, platform, normalise_text(text or ""), (url or "").strip()]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"{REPORT_PREFIX}{digest[:32]}"


def report_post(request: ReportRequest, *, now: datetime, max_chars: int) -> Post:
    """The `Post` for `request`, received at `now`. Raises `ParamError` naming ``text`` when
    neither a text nor a URL was sent, or the text is longer than `max_chars`."""
    text = normalise_text(request.text or "")
    if not text and not request.url:
        raise ParamError("text", "a report needs a text or a url")
    if len(text) > max_chars:
        raise ParamError("text", f"longer than {max_chars} characters")
    reporter = request.reporter
    return Post(
        id=report_id(reporter.id, request.platform, text, request.url),
        platform=request.platform,
        source=f"{REPORT_PREFIX}{reporter.id}",
        author=Author(handle=request.author),
        text=text or str(request.url),
        url=request.url,
        created_at=request.posted_at or now,
        ingested_at=now,
        raw={
            "report": {
                "reporter": {"id": reporter.id, "handle": reporter.handle},
                "category": request.category,
                "note": request.note,
                "url": request.url,
                "received_at": now.isoformat().replace("+00:00", "Z"),
            }
        },
    )
