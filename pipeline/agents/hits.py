"""Join posts with what the matcher found: `Hit`s and per-post outcomes; parse hits records. Pure.

The matcher is anything shaped like `models.matching.Matcher` (the Protocol next to the real
matcher), so tests can pass a small fake where the test is about our logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from models.errors import InvalidRecord
from models.matching import MatchResult
from models.records import Hit, Post

Outcome = Literal["hit", "no_hit"]


@dataclass(frozen=True)
class MatchedPost:
    post: Post
    outcome: Outcome
    hits: tuple[Hit, ...]


def build_hits(
    posts: Sequence[Post], results: Sequence[MatchResult], *, with_embedding: bool = True
) -> list[MatchedPost]:
    """One `MatchedPost` per post, in order. Each match becomes a `Hit` whose id is
    ``{post.id}:{narrative.id}`` (deterministic, so a redelivered post yields the same hit ids).
    A narrative matched twice for one post is kept once (the first, i.e. the best-ranked).

    Raises `ValueError` if the matcher returned a different number of results than posts."""
    if len(posts) != len(results):
        raise ValueError(f"matcher returned {len(results)} results for {len(posts)} posts")
    matched: list[MatchedPost] = []
    for post, result in zip(posts, results, strict=True):
        embedding = list(result.embedding) if with_embedding else None
        seen: set[str] = set()
        hits: list[Hit] = []
        for match in result.matches:
            if match.narrative.id in seen:
                continue
            seen.add(match.narrative.id)
            hits.append(Hit.from_match(post, match, embedding))
        matched.append(MatchedPost(post, "hit" if hits else "no_hit", tuple(hits)))
    return matched


def parse_hit(raw: bytes) -> Hit:
    """The `Hit` in a `hits` record. Raises `InvalidRecord` (``schema_error``) for anything else:
    we wrote the topic, so that is a bug or a foreign producer; never retried. Total: whatever
    the bytes, it returns a hit or raises `InvalidRecord` (``unexpected_error`` for an exception
    nobody anticipated), so the spike agent, which calls it outside the batch runner, can rely
    on it too."""
    try:
        return Hit.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)[:3]
        detail = f"not a hit: {exc.error_count()} errors: {errors!r}"
        raise InvalidRecord("schema_error", detail) from exc
    except Exception as exc:
        raise InvalidRecord("unexpected_error", f"{type(exc).__name__}: {exc}") from exc


def stance_label(hit: Hit) -> str:
    """The stance as a metric label (``"unknown"`` when the matcher did not decide)."""
    return hit.stance or "unknown"
