"""The plain types of a live run: where records go (`LiveSink`), when to stop (`RunLimits`),
what happened (`RunSummary`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.publisher import DeliveryStats
from models.dead_letters import DeadLetter
from models.records import Post


class LiveSink(Protocol):
    """Where a live source's records go (`connectors.publisher.Publisher`)."""

    stats: DeliveryStats

    def publish_post(self, post: Post) -> None: ...

    def publish_dead_letter(self, letter: DeadLetter) -> None: ...

    def publish_event(self, topic: str, key: str, value: bytes) -> None: ...

    def flush(self, timeout_s: float | None = None) -> None: ...


@dataclass(frozen=True)
class RunLimits:
    """Stop after this many posts queued, or this many seconds (None: no limit)."""

    max_posts: int | None = None
    duration_s: float | None = None


@dataclass
class RunSummary:
    """What one run did. `published` and `dead_lettered` count records queued to Kafka; the
    caller adds the producer's acknowledgements after the final flush."""

    source: str
    read: int = 0
    published: int = 0
    dead_lettered: int = 0
    deleted: int = 0
    edited: int = 0
    filtered: int = 0
    duplicates: int = 0
    reconnects: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    stopped_by: str = "stop"
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        values = dict(vars(self))
        values["by_reason"] = dict(sorted(self.by_reason.items()))
        return values
