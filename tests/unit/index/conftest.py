"""Hit records for the pure index tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.records import Explanation, Hit, NarrativeRef, Post, Scores


def make_hit(
    post_id: str = "bsky:1",
    text: str = "The vote was rigged by machines",
    url: str | None = "https://www.Example.com/a?b=1",
    embedding: list[float] | None = None,
) -> Hit:
    post = Post(
        id=post_id,
        platform="bluesky",
        source="jetstream",
        text=text,
        url=url,
        created_at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
        raw={"anything": {"nested": [1, 2]}},
    )
    narrative = NarrativeRef(
        id="n-rigged", title="Machines rigged", severity="high", verdict="false"
    )
    return Hit(
        id=Hit.make_id(post.id, narrative.id),
        post=post,
        narrative=narrative,
        scores=Scores(dense=0.8, lexical=0.5, combined=0.7),
        exemplar="Voting machines flipped votes",
        stance="promotes",
        model_id="all-MiniLM-L6-v2",
        catalog_version="v1",
        matched_at=datetime(2025, 3, 1, 12, 1, tzinfo=UTC),
        explanation=Explanation(
            summary="close to exemplar",
            best_exemplar="Voting machines flipped votes",
            dense_score=0.8,
            lexical_score=0.5,
            fused_score=0.7,
            threshold=0.6,
            stance="promotes",
            keywords_matched=("rigged",),
            model_id="all-MiniLM-L6-v2",
            catalog_version="v1",
        ),
        embedding=embedding,
    )


@pytest.fixture
def hit() -> Hit:
    return make_hit(embedding=[0.1, 0.2, 0.3])
