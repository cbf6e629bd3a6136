"""The glue between a connector and a sink: normalise, apply the oversize rule, pace, publish.

Every item read ends up either as one or more published posts or as one dead letter.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.base import Connector, RawItem
from connectors.pacing import Pacer
from connectors.size import enforce_size
from models.dead_letters import DeadLetter, RecordOrigin
from models.errors import InvalidRecord
from models.records import Post

logger = logging.getLogger(__name__)


class PostSink(Protocol):
    """Where replayed records go (`connectors.publisher.Publisher` for Kafka)."""

    def publish_post(self, post: Post) -> None: ...

    def publish_dead_letter(self, letter: DeadLetter) -> None: ...


@dataclass
class ReplaySummary:
    """Counts of one replay: items read, posts published (parts included), parts among them,
    dead letters in total and by reason."""

    read: int = 0
    published: int = 0
    parts: int = 0
    dead_lettered: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "published": self.published,
            "parts": self.parts,
            "dead_lettered": self.dead_lettered,
            "by_reason": dict(sorted(self.by_reason.items())),
        }


def normalise_item(connector: Connector, raw: RawItem, max_chars: int) -> list[Post]:
    """The posts for one raw item under the oversize rule. Raises `InvalidRecord`; an
    unexpected error inside the connector becomes ``normalisation_error`` (and is logged)."""
    try:
        post = connector.normalise(raw)
    except InvalidRecord:
        raise
    except Exception as exc:
        logger.exception("normaliser failed on %s", raw.origin)
        raise InvalidRecord("normalisation_error", f"{type(exc).__name__}: {exc}") from exc
    return enforce_size(post, max_chars, connector.oversize)


def replay(
    connector: Connector,
    sink: PostSink,
    *,
    max_chars: int,
    pacer: Pacer | None = None,
    on_item: Callable[[RawItem], None] | None = None,
) -> ReplaySummary:
    """Read every item of `connector` and publish it to `sink`; blocks until all are queued.

    Pacing (`pacer`) uses each item's first post's ``created_at``; dead letters are not paced.
    `on_item` is called after each item (progress bars).
    """
    summary = ReplaySummary()
    for raw in connector.items():
        summary.read += 1
        try:
            posts = normalise_item(connector, raw, max_chars)
        except InvalidRecord as refused:
            logger.info("dead-lettering %s: %s", raw.origin, refused)
            letter = DeadLetter.of_invalid(
                raw.original_bytes(), refused, RecordOrigin(key=raw.origin), source=connector.source
            )
            sink.publish_dead_letter(letter)
            summary.dead_lettered += 1
            summary.by_reason[refused.reason] += 1
        else:
            if pacer is not None:
                pacer.wait(posts[0].created_at)
            for post in posts:
                sink.publish_post(post)
            summary.published += len(posts)
            summary.parts += len(posts) if posts[0].part is not None else 0
        if on_item is not None:
            on_item(raw)
    return summary
