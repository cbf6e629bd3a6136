"""What happens to a post after it was published: it was deleted or edited on its platform.

Live connectors publish these on the post-events topic (``topics.post_events``, default
``post.events``), keyed by the post id, JSON like every other record. The worker side decides what
to do with them; the intended handling:

- `PostDeleted`: mark every hit of `post_id` deleted (kept for the audit trail, hidden from default
  searches). Sent for Bluesky commit deletes, Mastodon ``delete`` events and Telegram deletions.
- `PostEdited`: the edited `Post` itself is published on the posts topic with the SAME id (so it
  is matched like any post and its hits upsert by ``{post_id}:{narrative_id}``); this event says
  that hits of `post_id` matched on text from before `edited_at` are stale and should be dropped
  unless the new text matches the same narrative again. Sent for Bluesky commit updates, Mastodon
  ``status.update`` events and Telegram edits.

Parse one with `parse_post_event` (raises `InvalidRecord` for anything else).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from models.dead_letters import DeadLetterReason
from models.errors import InvalidRecord
from models.records import UtcDatetime, utc_now

POST_EVENT_SCHEMA_VERSION: Literal[1] = 1


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = POST_EVENT_SCHEMA_VERSION
    post_id: str = Field(min_length=1, max_length=512)
    platform: str = Field(min_length=1, max_length=64)
    source: str = Field(min_length=1, max_length=256)
    ingested_at: UtcDatetime = Field(default_factory=utc_now)


class PostDeleted(_Event):
    """The post `post_id` was deleted on its platform at `deleted_at` (the platform's time when it
    says, else when the connector saw the deletion)."""

    type: Literal["post_deleted"] = "post_deleted"
    deleted_at: UtcDatetime


class PostEdited(_Event):
    """The post `post_id` was edited at `edited_at`; its new version is on the posts topic."""

    type: Literal["post_edited"] = "post_edited"
    edited_at: UtcDatetime


PostEvent = Annotated[PostDeleted | PostEdited, Field(discriminator="type")]
_ADAPTER: TypeAdapter[PostDeleted | PostEdited] = TypeAdapter(PostEvent)


def parse_post_event(value: bytes | str) -> PostDeleted | PostEdited:
    """Parse one post-events message. Raises `InvalidRecord` (``malformed_json`` or
    ``schema_error``)."""
    try:
        return _ADAPTER.validate_json(value)
    except ValidationError as exc:
        kinds = {error["type"] for error in exc.errors()}
        reason: DeadLetterReason = "malformed_json" if "json_invalid" in kinds else "schema_error"
        raise InvalidRecord(reason, str(exc.errors(include_input=False)[0]["msg"])) from exc


def event_time(event: PostDeleted | PostEdited) -> datetime:
    """When the deletion or edit happened."""
    return event.deleted_at if isinstance(event, PostDeleted) else event.edited_at
