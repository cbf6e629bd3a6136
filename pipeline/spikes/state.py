"""One narrative's spike state, as a JSON-able value: what the worker keeps per narrative id.

Everything the detector knows about a narrative lives here, so that it can be stored as ONE value
of a Faust table keyed by narrative id, the key of the ``hits.by-narrative`` topic: the worker
that owns a partition of that topic owns every narrative hashed to it, and the table's changelog
partition is that same partition (`pipeline.spikes.table`). After a crash or a rebalance the new
owner restores the value and carries on where the last written state left off.

A state holds, per key (the narrative, and the narrative x platform pairs): the EWMA baseline and
the windows still open; and for the narrative: the last window closed, where its records come
from (``partition``, and ``offset``: the last record applied) and the ids of the last hits
counted (``recent``, bounded by ``spikes.dedupe_hits``). `SpikeDetector` uses ``offset`` and
``recent`` to count each hit once (see `pipeline.spikes.detector`). Pure: no Faust, no clock.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from models.records import Severity
from pipeline.spikes.baseline import Baseline
from pipeline.spikes.records import SpikeExample


@dataclass
class Window:
    """Hits of one key in one open window. ``examples`` is a min-heap of
    ``(score, -arrival, example)`` holding the best-scored examples."""

    minute: int
    count: int = 0
    authors: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[float, int, SpikeExample]] = field(default_factory=list)

    def add(self, author: str, example: SpikeExample, max_examples: int) -> None:
        self.count += 1
        self.authors[author] += 1
        if max_examples <= 0:
            return
        entry = (example.score, -self.count, example)
        if len(self.examples) < max_examples:
            heapq.heappush(self.examples, entry)
        else:
            heapq.heappushpop(self.examples, entry)

    def best_examples(self) -> list[SpikeExample]:
        return [e for _, _, e in sorted(self.examples, key=lambda x: (-x[0], -x[1]))]

    def to_dict(self) -> dict[str, Any]:
        return {
            "minute": self.minute,
            "count": self.count,
            "authors": dict(self.authors),
            "examples": [[s, n, e.model_dump(mode="json")] for s, n, e in self.examples],
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Window:
        examples = [
            (float(s), int(n), SpikeExample.model_validate(e)) for s, n, e in value["examples"]
        ]
        heapq.heapify(examples)
        return cls(int(value["minute"]), int(value["count"]), Counter(value["authors"]), examples)


@dataclass
class KeyState:
    """One key of a narrative: its platform (None: all platforms), its baseline (None until its
    first window closed) and its open windows by window number."""

    platform: str | None
    baseline: Baseline | None = None
    open: dict[int, Window] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "baseline": self.baseline.to_dict() if self.baseline is not None else None,
            "open": [w.to_dict() for w in self.open.values()],
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> KeyState:
        stored = value.get("baseline")
        windows = [Window.from_dict(w) for w in value.get("open", [])]
        return cls(
            value.get("platform"),
            Baseline.from_dict(stored) if stored else None,
            {w.minute: w for w in windows},
        )


@dataclass
class NarrativeState:
    """Everything the detector keeps about one narrative (see the module docstring).

    ``since``: the window its zero baseline runs from (a key first seen late is judged against
    zeros since then); ``closed_through``: the last window closed (None: none yet)."""

    narrative_id: str
    title: str
    severity: Severity
    since: int
    partition: int | None = None
    offset: int = -1
    closed_through: int | None = None
    keys: dict[str, KeyState] = field(default_factory=dict)
    recent: list[str] = field(default_factory=list)
    _recent_set: set[str] = field(default_factory=set, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._recent_set = set(self.recent)

    def seen(self, hit_id: str) -> bool:
        """Whether `hit_id` is among the remembered recent hits."""
        return hit_id in self._recent_set

    def remember(self, hit_id: str, limit: int) -> None:
        """Remember `hit_id`, forgetting the oldest beyond `limit` ids."""
        if limit <= 0:
            return
        self.recent.append(hit_id)
        self._recent_set.add(hit_id)
        while len(self.recent) > limit:
            self._recent_set.discard(self.recent.pop(0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "narrative_id": self.narrative_id,
            "title": self.title,
            "severity": self.severity,
            "since": self.since,
            "partition": self.partition,
            "offset": self.offset,
            "closed_through": self.closed_through,
            "keys": {key: state.to_dict() for key, state in self.keys.items()},
            "recent": list(self.recent),
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> NarrativeState:
        return cls(
            narrative_id=value["narrative_id"],
            title=value["title"],
            severity=value["severity"],
            since=int(value["since"]),
            partition=value.get("partition"),
            offset=int(value.get("offset", -1)),
            closed_through=value.get("closed_through"),
            keys={k: KeyState.from_dict(v) for k, v in value.get("keys", {}).items()},
            recent=list(value.get("recent", [])),
        )


def may_close(value: dict[str, Any], partition: int | None, through: int) -> bool:
    """Whether a stored state (its dict) belongs to `partition` (None: any) and has windows left
    to close up to `through`: lets a tick skip decoding the states it would not change."""
    if partition is not None and value.get("partition") != partition:
        return False
    closed = value.get("closed_through")
    return closed is None or closed < through
