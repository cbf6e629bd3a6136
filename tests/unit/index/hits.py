"""Hit records for tests of the index, the API and the UI (importable: `tests.unit.index.hits`)."""

from __future__ import annotations

from datetime import UTC, datetime

from models.records import Author, Explanation, Hit, NarrativeRef, Post, Scores, Severity, Stance

WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_hit(
    post_id: str = "bsky:1",
    text: str = "The vote was rigged by machines",
    url: str | None = "https://www.Example.com/a?b=1",
    embedding: list[float] | None = None,
    *,
    platform: str = "bluesky",
    narrative_id: str = "n-rigged",
    narrative_title: str = "Machines rigged",
    severity: Severity = "high",
    stance: Stance | None = "promotes",
    handle: str | None = "alice.example",
    created_at: datetime = WHEN,
    score: float = 0.7,
    exemplar: str = "Voting machines flipped votes",
) -> Hit:
    post = Post(
        id=post_id,
        platform=platform,
        source="jetstream",
        author=Author(handle=handle),
        text=text,
        url=url,
        created_at=created_at,
        language="en",
        raw={"anything": {"nested": [1, 2]}},
    )
    narrative = NarrativeRef(
        id=narrative_id, title=narrative_title, severity=severity, verdict="false"
    )
    return Hit(
        id=Hit.make_id(post.id, narrative.id),
        post=post,
        narrative=narrative,
        scores=Scores(dense=0.8, lexical=0.5, combined=score),
        exemplar=exemplar,
        stance=stance,
        model_id="all-MiniLM-L6-v2",
        catalog_version="v1",
        matched_at=created_at,
        explanation=Explanation(
            summary=f"close to exemplar '{exemplar}'",
            best_exemplar=exemplar,
            dense_score=0.8,
            lexical_score=0.5,
            fused_score=score,
            threshold=0.6,
            stance=stance,
            stance_evidence="asserts the claim" if stance == "promotes" else None,
            keywords_matched=("rigged",),
            model_id="all-MiniLM-L6-v2",
            catalog_version="v1",
        ),
        embedding=embedding,
    )
