"""Hit records for tests of the index, the API and the UI (`tests.unit.elastic.hits`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from models.records import (
    Author,
    Engagement,
    Explanation,
    Hit,
    NarrativeRef,
    Post,
    Scores,
    Severity,
    Stance,
)
from pipeline.elastic.hits import bulk_operations

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

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
    followers: int | None = None,
    likes: int | None = None,
    views: int | None = None,
) -> Hit:
    post = Post(
        id=post_id,
        platform=platform,
        source="jetstream",
        author=Author(handle=handle, followers=followers),
        text=text,
        url=url,
        created_at=created_at,
        language="en",
        raw={"anything": {"nested": [1, 2]}},
        engagement=Engagement(likes=likes, views=views),
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


def seed_hits(dims: int = 4) -> list[Hit]:
    """Six hits over two narratives, three platforms, three stances and three days (newest last),
    with one-hot-ish embeddings of `dims` dimensions."""
    from datetime import timedelta

    def vec(i: int) -> list[float]:
        return [1.0 if j == i % dims else 0.1 for j in range(dims)]

    day = WHEN
    return [
        make_hit(
            "bsky:1",
            "The voting machines were rigged to flip votes",
            embedding=vec(0),
            created_at=day,
            score=0.91,
        ),
        make_hit(
            "bsky:2",
            "Fact check: no evidence the machines flipped any votes",
            embedding=vec(0),
            stance="debunks",
            created_at=day + timedelta(hours=5),
            score=0.72,
            url="https://factcheck.example.org/machines",
        ),
        make_hit(
            "mastodon:3",
            "People are talking about rigged machines again",
            embedding=vec(1),
            platform="mastodon",
            stance="discusses",
            handle="bob.example",
            created_at=day + timedelta(days=1),
            score=0.65,
        ),
        make_hit(
            "mastodon:4",
            "Dead people voted by the thousands in the county",
            embedding=vec(2),
            platform="mastodon",
            narrative_id="n-dead-voters",
            narrative_title="Dead voters",
            severity="medium",
            handle="bob.example",
            exemplar="Thousands of dead people voted",
            created_at=day + timedelta(days=1, hours=2),
            score=0.83,
        ),
        make_hit(
            "telegram:5",
            "Dead voters <b>decided</b> the election",
            embedding=vec(2),
            platform="telegram",
            narrative_id="n-dead-voters",
            narrative_title="Dead voters",
            severity="medium",
            exemplar="Thousands of dead people voted",
            created_at=day + timedelta(days=2),
            score=0.61,
            url=None,
            handle="carol",
        ),
        make_hit(
            "bsky:6",
            "Machines rigged, they flipped the votes overnight",
            embedding=vec(1),
            created_at=day + timedelta(days=2, hours=3),
            score=0.88,
            handle="dave.example",
        ),
    ]


def index_hits(es: Elasticsearch, index: str, hits: Sequence[Hit]) -> None:
    """Write `hits` through `index` the way the worker does (one bulk upsert each), refreshed so
    they are searchable at once; fails the test if any item is refused."""
    response = es.bulk(operations=bulk_operations(hits, index), refresh=True)
    assert not response["errors"], response["items"]
