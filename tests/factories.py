"""Shared record factories for tests: posts, matches, hits (no broker, no model).

Every argument has a plain default, so ``make_hit()`` is a valid hit; pass what the test is about.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.records import Explanation, Hit, Match, NarrativeRef, Post, Scores, Severity

CREATED = datetime(2024, 1, 1, tzinfo=UTC)


def make_post(n: int | str = 1, *, platform: str = "x", text: str = "text", **fields: Any) -> Post:
    """A valid `Post` with id ``{platform}:{n}``."""
    values: dict[str, Any] = {"source": "t", "created_at": CREATED} | fields
    return Post(id=f"{platform}:{n}", platform=platform, text=text, **values)


def make_match(
    narrative: str = "n1",
    *,
    severity: Severity = "high",
    score: float = 0.8,
    model_id: str = "m",
    catalog_version: str = "v1",
) -> Match:
    """A `Match` of one narrative, stance ``promotes``."""
    explanation = Explanation(
        summary="s",
        best_exemplar="e",
        dense_score=0.9,
        lexical_score=0.5,
        fused_score=score,
        threshold=0.5,
        stance="promotes",
        model_id=model_id,
        catalog_version=catalog_version,
    )
    return Match(
        narrative=NarrativeRef(id=narrative, title=narrative, severity=severity, verdict="false"),
        scores=Scores(dense=0.9, lexical=0.5, combined=score),
        exemplar="e",
        stance="promotes",
        explanation=explanation,
    )


def make_hit(n: int | str = 1, narrative: str = "n1", *, post: Post | None = None) -> Hit:
    """The `Hit` of `make_post(n)` (or `post`) and `make_match(narrative)`."""
    return Hit.from_match(post or make_post(n), make_match(narrative))
