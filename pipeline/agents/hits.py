"""Join posts with what the matcher found: `Hit`s and per-post outcomes; parse hits records. Pure.

The matcher is anything shaped like `models.service.NarrativeMatcher`; the protocols below name
only what the pipeline uses, so tests can pass a small fake where the test is about our logic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import ValidationError

from models.errors import InvalidRecord
from models.records import Hit, Match, NarrativeRef, Post

Outcome = Literal["hit", "no_hit"]


class PostMatchesLike(Protocol):
    """What `matcher.match` returns for one text. The timings are the batch's cost divided by
    its size (per post); a matcher that does not measure reports 0.0."""

    @property
    def embedding(self) -> list[float]: ...

    @property
    def matches(self) -> Sequence[Match]: ...

    @property
    def embed_seconds(self) -> float: ...

    @property
    def match_seconds(self) -> float: ...


class MatcherLike(Protocol):
    """The narrative matcher as the worker uses it. `match` is blocking and CPU-bound: call it
    from the worker's single model thread, never on the event loop. `dates` holds each post's
    date (its `created_at`), which the optional re-ranker's date features use."""

    @property
    def model_id(self) -> str: ...

    @property
    def catalog_version(self) -> str: ...

    @property
    def dims(self) -> int: ...

    def warm_up(self) -> None: ...

    def narratives(self) -> list[NarrativeRef]: ...

    def match(
        self, texts: Sequence[str], dates: Sequence[dt.date | None] | None = None
    ) -> Sequence[PostMatchesLike]: ...


@dataclass(frozen=True)
class MatchedPost:
    post: Post
    outcome: Outcome
    hits: tuple[Hit, ...]


def build_hits(
    posts: Sequence[Post], results: Sequence[PostMatchesLike], *, with_embedding: bool = True
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
    we wrote the topic, so that is a bug or a foreign producer; never retried."""
    try:
        return Hit.model_validate_json(raw)
    except ValidationError as exc:
        detail = f"not a hit: {exc.error_count()} errors: {exc.errors(include_url=False)[:3]!r}"
        raise InvalidRecord("schema_error", detail) from exc


def stance_label(hit: Hit) -> str:
    """The stance as a metric label (``"unknown"`` when the matcher did not decide)."""
    return hit.stance or "unknown"
