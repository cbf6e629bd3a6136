"""Routes over hits: search, aggregations, similar posts, one hit, export."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from pipeline.api import export
from pipeline.api.http_errors import BODY_ERRORS, READ_ERRORS, ErrorBody
from pipeline.api.params import (
    MAX_SCORE,
    SEVERITIES,
    STANCES,
    VERDICTS,
    HitFilters,
    SortOrder,
    Withdrawn,
    build_filters,
    check_narratives,
)
from pipeline.api.service import HitService
from pipeline.settings import Settings

logger = logging.getLogger(__name__)


class SimilarRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    size: int = Field(default=10, ge=1, le=100)


def _one_of(values: tuple[str, ...]) -> str:
    return "One or more of: " + ", ".join(values) + " (repeat or comma-separate)."


def hit_filters(
    *,
    q: Annotated[str | None, Query(description="Free text (simple query syntax).")] = None,
    narrative: Annotated[list[str] | None, Query(description="Catalog narrative id(s).")] = None,
    platform: Annotated[list[str] | None, Query()] = None,
    stance: Annotated[list[str] | None, Query(description=_one_of(STANCES))] = None,
    severity: Annotated[list[str] | None, Query(description=_one_of(SEVERITIES))] = None,
    verdict: Annotated[list[str] | None, Query(description=_one_of(VERDICTS))] = None,
    author: Annotated[list[str] | None, Query()] = None,
    domain: Annotated[list[str] | None, Query()] = None,
    language: Annotated[list[str] | None, Query()] = None,
    review: Annotated[list[str] | None, Query(description="Review state(s).")] = None,
    post: Annotated[list[str] | None, Query(description="Post id(s): every hit of a post.")] = None,
    since: Annotated[str | None, Query(description="ISO 8601 or relative: 24h, 7d.")] = None,
    until: Annotated[str | None, Query(description="ISO 8601 or relative: 24h, 7d.")] = None,
    min_score: Annotated[
        float | None, Query(ge=0, le=MAX_SCORE, description="Lowest combined score (0-1).")
    ] = None,
    deleted: Annotated[
        Withdrawn,
        Query(
            description="Hits whose post was deleted, or whose narrative an edit no longer "
            "matches: exclude (default), include, only."
        ),
    ] = "exclude",
) -> HitFilters:
    """The shared filter query parameters as `HitFilters` (raises `ParamError`: 400)."""
    return build_filters(
        q=q,
        narrative=narrative,
        platform=platform,
        stance=stance,
        severity=severity,
        verdict=verdict,
        author=author,
        domain=domain,
        language=language,
        review=review,
        post=post,
        since=since,
        until=until,
        min_score=min_score,
        deleted=deleted,
    )


def hits_router(settings: Settings, service: HitService, reads: Any) -> APIRouter:
    """The hit routes on `service`; `reads` is the read-access dependency."""
    router = APIRouter(tags=["hits"], dependencies=[reads], responses=READ_ERRORS)

    def checked(filters: HitFilters) -> HitFilters:
        """`filters` once its narrative ids are in the catalog (when the catalog loads)."""
        if filters.narrative:
            try:
                known = {n.id for n in service.catalog().narratives}
            except Exception as exc:  # an unusable catalog is preflight's error, not this query's
                logger.warning("narrative filter not checked, catalog does not load: %s", exc)
            else:
                check_narratives(filters, known)
        return filters

    @router.get("/api/search")
    def search(
        filters: Annotated[HitFilters, Depends(hit_filters)],
        sort: SortOrder = "triage",
        size: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, Query(description="`next` of the previous page.")] = None,
    ) -> dict[str, Any]:
        """Hits matching the filters, with highlights and explanation summaries. The default
        order is the triage queue: unreviewed first, then highest threat."""
        return service.search(checked(filters), sort, size, cursor)

    @router.get("/api/aggregations")
    def aggregations(
        filters: Annotated[HitFilters, Depends(hit_filters)],
        interval: Literal["hour", "day"] = "day",
        top: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        """Counts per narrative, platform, stance, severity, author, domain and over time."""
        return service.aggregations(checked(filters), interval, top)

    @router.post("/api/similar", responses=BODY_ERRORS)
    def similar(request: SimilarRequest) -> dict[str, Any]:
        """Hits whose posts are closest in meaning to `text` (kNN on the post embeddings)."""
        return service.similar(request.text, request.size)

    # Before `get_hit`: its ``{hit_id:path}`` would swallow the ``/explanation`` suffix.
    @router.get("/api/hits/{hit_id:path}/explanation", responses={404: {"model": ErrorBody}})
    def get_explanation(hit_id: str) -> dict[str, Any]:
        """Why the post was flagged, in plain language, fit to show the person who posted it:
        narrative, why it is tracked, fact checks, closest exemplar, score against threshold,
        stance, catalog version and review decision (no reviewer names or notes)."""
        return service.explanation(hit_id)

    @router.get("/api/hits/{hit_id:path}", responses={404: {"model": ErrorBody}})
    def get_hit(hit_id: str) -> dict[str, Any]:
        """One hit in full, with its explanation, review and review history."""
        return service.get_hit(hit_id)

    @router.get(
        "/api/export",
        responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
        response_class=StreamingResponse,
    )
    def export_hits(
        filters: Annotated[HitFilters, Depends(hit_filters)],
        format: Literal["csv", "jsonl"] = "jsonl",
        limit: Annotated[int | None, Query(ge=1)] = None,
    ) -> StreamingResponse:
        """Matching hits, newest first, streamed; at most `api.export_max_rows`. Each row
        carries its public explanation (``public_explanation``)."""
        cap = settings.api.export_max_rows
        found = service.export(checked(filters), min(limit or cap, cap))
        rows = (service.with_public_explanation(row) for row in found)
        media, lines = export.render(rows, format)
        return StreamingResponse(
            lines,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="hits.{format}"'},
        )

    return router
