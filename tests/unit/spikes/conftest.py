"""Builders for constructed hit series (no broker, no model)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from models.records import Author, Explanation, Hit, NarrativeRef, Post, Scores, Severity

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
"""A minute boundary; tests count minutes from here."""

HitFactory = Callable[..., Hit]


def at_minute(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


@pytest.fixture
def make_hit() -> HitFactory:
    counter = iter(range(10**9))

    def make(
        minute: float,
        *,
        author: str | None = "a0",
        narrative: str = "n-vaccine-chips",
        severity: Severity = "medium",
        platform: str = "bluesky",
        score: float = 0.8,
    ) -> Hit:
        n = next(counter)
        post = Post(
            id=f"{platform}:{n}",
            platform=platform,
            source="test",
            author=Author(id=author),
            text=f"post number {n} about the narrative",
            created_at=at_minute(minute),
        )
        return Hit(
            id=Hit.make_id(post.id, narrative),
            post=post,
            narrative=NarrativeRef(
                id=narrative, title=narrative, severity=severity, verdict="false"
            ),
            scores=Scores(dense=score, lexical=0.5, combined=score),
            exemplar="exemplar",
            model_id="m",
            catalog_version="v1",
            matched_at=at_minute(minute),
            explanation=Explanation(
                summary="s",
                best_exemplar="e",
                dense_score=score,
                lexical_score=0.5,
                fused_score=score,
                threshold=0.5,
                model_id="m",
                catalog_version="v1",
            ),
        )

    return make
