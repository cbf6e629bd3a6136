"""Dead letters as an operator sees them: decoded, filtered, summarised (pure, no I/O).

A dead letter on the dead-letter topic is identified by its position there, ``PARTITION:OFFSET``
(e.g. ``3:17``): stable for as long as the topic retains it, and what `narrmon dlq show` takes.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from models.dead_letters import DeadLetter

ERROR_PREVIEW_CHARS = 100
# C0 and C1 control characters but newline, DEL, and bidirectional overrides: a hostile record
# must not drive the operator's terminal nor reorder what it shows.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with control characters (ANSI escapes included) shown as ``\\u{NNNN}`` escapes."""
    return _CONTROL.sub(lambda m: f"\\u{{{ord(m.group()):04x}}}", text)


@dataclass(frozen=True)
class StoredLetter:
    """One dead letter and where it sits on the dead-letter topic."""

    partition: int
    offset: int
    letter: DeadLetter

    @property
    def ref(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def origin(self) -> str:
        """Where the refused record was read, ``topic[partition]@offset`` (or its source)."""
        dead = self.letter
        if dead.original_topic is None:
            return f"source {dead.source}"
        return f"{dead.original_topic}[{dead.original_partition}]@{dead.original_offset}"


@dataclass(frozen=True)
class Decoded:
    """The letters read from a topic, and the positions of records that are not dead letters."""

    letters: list[StoredLetter]
    unreadable: list[str] = field(default_factory=list)


def parse_ref(text: str) -> tuple[int, int]:
    """``"3:17"`` -> ``(3, 17)``. Raises ValueError naming the expected form."""
    partition, sep, offset = text.strip().partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise ValueError(f"expected PARTITION:OFFSET (e.g. 3:17), got {text!r}")
    return int(partition), int(offset)


def decode_letters(records: Iterable[tuple[int, int, bytes | None]]) -> Decoded:
    """``(partition, offset, value)`` of dead-letter topic records -> `Decoded`."""
    letters: list[StoredLetter] = []
    unreadable: list[str] = []
    for partition, offset, value in records:
        try:
            letter = DeadLetter.model_validate_json(value or b"")
        except ValidationError:
            unreadable.append(f"{partition}:{offset}")
            continue
        letters.append(StoredLetter(partition, offset, letter))
    return Decoded(letters, unreadable)


@dataclass(frozen=True)
class LetterFilter:
    """Which dead letters to show or replay. Empty sets and None bounds match everything;
    `since` is inclusive, `until` exclusive (on ``dead_lettered_at``)."""

    reasons: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    refs: frozenset[str] = frozenset()

    def matches(self, stored: StoredLetter) -> bool:
        dead = stored.letter
        return (
            (not self.reasons or dead.reason in self.reasons)
            and (not self.sources or dead.source in self.sources)
            and (self.since is None or dead.dead_lettered_at >= self.since)
            and (self.until is None or dead.dead_lettered_at < self.until)
            and (not self.refs or stored.ref in self.refs)
        )

    @property
    def is_empty(self) -> bool:
        return not (self.reasons or self.sources or self.refs) and self.since is self.until is None


def select(
    letters: Iterable[StoredLetter], wanted: LetterFilter, limit: int | None = None
) -> list[StoredLetter]:
    """The letters `wanted` matches, newest first, at most `limit` of them."""
    chosen = sorted(
        (s for s in letters if wanted.matches(s)),
        key=lambda s: (s.letter.dead_lettered_at, s.partition, s.offset),
        reverse=True,
    )
    return chosen if limit is None else chosen[:limit]


def tally(letters: Iterable[StoredLetter]) -> dict[str, dict[str, int]]:
    """Counts by reason and by source."""
    reasons: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    for stored in letters:
        reasons[stored.letter.reason] += 1
        sources[stored.letter.source] += 1
    return {"by_reason": dict(reasons.most_common()), "by_source": dict(sources.most_common())}


def decode_original(raw: bytes) -> tuple[str, Any]:
    """How to show the original bytes: ``("json", value)`` when they are JSON, ``("text", str)``
    when they are UTF-8 text, else ``("base64", str)``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "base64", base64.b64encode(raw).decode("ascii")
    try:
        return "json", json.loads(text)
    except ValueError:
        return "text", text


def summary(stored: StoredLetter) -> dict[str, Any]:
    """One line's worth of a dead letter, as a JSON-able dict."""
    dead = stored.letter
    return {
        "id": stored.ref,
        "dead_lettered_at": dead.dead_lettered_at.isoformat(),
        "reason": dead.reason,
        "source": dead.source,
        "key": dead.key,
        "origin": stored.origin,
        "original_bytes": len(dead.original()),
        "error": dead.error[:ERROR_PREVIEW_CHARS],
    }


def detail(stored: StoredLetter) -> dict[str, Any]:
    """Everything about one dead letter, the original decoded (see `decode_original`)."""
    dead = stored.letter
    raw = dead.original()
    encoding, original = decode_original(raw)
    return summary(stored) | {
        "error": dead.error,
        "original_topic": dead.original_topic,
        "original_partition": dead.original_partition,
        "original_offset": dead.original_offset,
        "original_encoding": encoding,
        "original": original,
    }


def summary_line(stored: StoredLetter) -> str:
    row = summary(stored)
    error = printable(row["error"].replace("\n", " "))
    return printable(
        f"{row['id']:>9}  {row['dead_lettered_at'][:19]}  {row['reason']:<18} "
        f"{row['source']:<20} {row['key'] or '-'}\n{'':11}{row['origin']}: {error}"
    )


def render_detail(stored: StoredLetter) -> str:
    row = detail(stored)
    if row["original_encoding"] == "json":
        original = json.dumps(row["original"], indent=2, ensure_ascii=False)
    else:
        original = str(row["original"])
    lines = [
        f"dead letter {row['id']}",
        f"  reason          {row['reason']}",
        f"  error           {row['error']}",
        f"  source          {row['source']}",
        f"  key             {row['key'] or '-'}",
        f"  origin          {row['origin']}",
        f"  dead-lettered   {row['dead_lettered_at']}",
        f"  original        {row['original_bytes']} bytes, {row['original_encoding']}:",
        original,
    ]
    return printable("\n".join(lines))
