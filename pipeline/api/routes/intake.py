"""Routes that put posts into the pipeline: a partner's batch and one crowd report (a token allowed
to ingest, the ``ingest`` role of `pipeline.api.access`). Both answer 202 once the posts are stored
on the posts topic; the worker matches them asynchronously (see `pipeline.api.intake`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from pipeline.api.http_errors import AUTH_ERRORS, BODY_ERRORS, ErrorBody
from pipeline.api.intake import Accepted, IngestRequest, ReportRequest, check_batch, report_post
from pipeline.api.post_publisher import PostPublisher
from pipeline.settings import Settings

INTAKE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid body (the field is named in `parameter`)."},
    **AUTH_ERRORS,
    **BODY_ERRORS,
    503: {"model": ErrorBody, "description": "Kafka did not store the posts; see Retry-After."},
}


def intake_router(settings: Settings, publisher: PostPublisher, ingest: Any) -> APIRouter:
    """The intake routes publishing through `publisher`; `ingest` is the ingest-access
    dependency."""
    router = APIRouter(tags=["intake"], dependencies=[ingest], responses=INTAKE_ERRORS)
    max_chars = settings.worker.max_post_chars

    @router.post("/api/ingest", status_code=202)
    def ingest_posts(request: IngestRequest) -> Accepted:
        """Publish a batch of posts (narrmon's `Post` JSON) to be matched like any other; at most
        `api.ingest_max_posts` per request."""
        posts = request.posts
        check_batch(posts, max_posts=settings.api.ingest_max_posts, max_chars=max_chars)
        publisher.publish(posts)
        return Accepted(accepted=len(posts), post_ids=[post.id for post in posts])

    @router.post("/api/reports", status_code=202)
    def report(request: ReportRequest) -> Accepted:
        """Publish one crowd report as a post (``source: report:<reporter id>``, the reporter,
        category and note in ``raw.report``). The post id is derived from the reporter and the
        content, so sending the same report again changes nothing."""
        post = report_post(request, now=datetime.now(UTC), max_chars=max_chars)
        publisher.publish([post])
        return Accepted(accepted=1, post_ids=[post.id])

    return router
