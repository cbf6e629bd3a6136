"""Which records a dead-letter replay publishes to the posts topic, and which it skips (pure).

A replay candidate is a dead letter's original (replayed as it is) or one line of a file of fixed
records (``--from-file``). Each must parse as a post with the worker's own intake rules
(`pipeline.agents.intake.parse_post`): a record that would only be dead-lettered again is skipped
and says why. Post ids are stable, so a post id already on the posts topic means the post was
delivered (processed, or waiting to be), by its connector or by an earlier replay: it is skipped
too, and so is a second candidate with the same id. The one exception is the very record a dead
letter was made from (its origin on the posts topic): that copy was refused, not processed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from models.errors import InvalidRecord
from models.records import Post
from pipeline.dlq.letters import StoredLetter

Parser = Callable[[bytes], Post]


@dataclass(frozen=True)
class Candidate:
    """A record proposed for replay: `ref` is a dead letter id (``3:17``) or ``FILE:LINE``."""

    ref: str
    post: Post | None
    problem: str | None = None


@dataclass(frozen=True)
class Skipped:
    ref: str
    post_id: str | None
    why: str


@dataclass(frozen=True)
class ReplayPlan:
    publish: list[Candidate]
    skipped: list[Skipped]


class FixFileError(ValueError):
    """A line of a ``--from-file`` file is not a valid post; the message names file and line."""


def _parse(ref: str, raw: bytes, parse: Parser) -> Candidate:
    try:
        return Candidate(ref, parse(raw))
    except InvalidRecord as exc:
        return Candidate(ref, None, f"still invalid: {exc.reason}: {exc.detail[:200]}")


def from_letters(letters: Iterable[StoredLetter], parse: Parser) -> list[Candidate]:
    """One candidate per dead letter, its original as it is."""
    return [_parse(s.ref, s.letter.original(), parse) for s in letters]


def from_fix_file(name: str, lines: Iterable[bytes], parse: Parser) -> list[Candidate]:
    """One candidate per non-blank line of a file of fixed records. Raises `FixFileError` at
    the first line that is not a valid post (fail fast: nothing is published)."""
    out: list[Candidate] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        candidate = _parse(f"{name}:{number}", line.rstrip(b"\r\n"), parse)
        if candidate.post is None:
            raise FixFileError(f"{name}, line {number}: {candidate.problem}")
        out.append(candidate)
    if not out:
        raise FixFileError(f"{name}: no records")
    return out


def refused_positions(letters: Iterable[StoredLetter], posts_topic: str) -> set[tuple[int, int]]:
    """The (partition, offset) of every posts-topic record a dead letter was made from."""
    return {
        (s.letter.original_partition, s.letter.original_offset)
        for s in letters
        if s.letter.original_topic == posts_topic
        and s.letter.original_partition is not None
        and s.letter.original_offset is not None
    }


def wanted_ids(candidates: Iterable[Candidate]) -> set[str]:
    return {c.post.id for c in candidates if c.post is not None}


def plan(candidates: Iterable[Candidate], delivered: Mapping[str, str]) -> ReplayPlan:
    """Split `candidates` into those to publish and those to skip. `delivered` maps a post id
    to where it already is on the posts topic (refused origins excluded)."""
    publish: list[Candidate] = []
    skipped: list[Skipped] = []
    chosen: dict[str, str] = {}
    for candidate in candidates:
        post = candidate.post
        if post is None:
            skipped.append(Skipped(candidate.ref, None, candidate.problem or "not a post"))
        elif post.id in delivered:
            why = f"already delivered: {post.id} is on the posts topic at {delivered[post.id]}"
            skipped.append(Skipped(candidate.ref, post.id, why))
        elif post.id in chosen:
            why = f"duplicate: {post.id} is replayed from {chosen[post.id]}"
            skipped.append(Skipped(candidate.ref, post.id, why))
        else:
            chosen[post.id] = candidate.ref
            publish.append(candidate)
    return ReplayPlan(publish, skipped)
