"""Routes over the signals beyond the catalog: coordination groups, emerging-narrative
candidates and the one-action draft of a candidate (token required, like every write)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from pipeline.api.http_errors import AUTH_ERRORS, ERRORS, READ_ERRORS, ErrorBody
from pipeline.api.signals import SignalService


def signals_router(service: SignalService, reads: Any, writes: Any) -> APIRouter:
    """The signal routes on `service`; `reads` / `writes` are the access dependencies."""
    router = APIRouter(tags=["signals"])

    @router.get("/api/coordination", dependencies=[reads], responses=READ_ERRORS)
    def coordination(
        size: Annotated[int, Query(ge=1, le=100)] = 20,
        post_id: Annotated[
            str | None,
            Query(min_length=1, max_length=512, description="Only the groups holding this post."),
        ] = None,
    ) -> dict[str, Any]:
        """Coordination groups (accounts, posts, time span, similarity), newest first."""
        return service.coordination(size, post_id)

    @router.get("/api/emerging", dependencies=[reads], responses=READ_ERRORS)
    def emerging(size: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
        """Emerging-narrative candidates (size, accounts, platforms, growth, top terms,
        representative posts), newest round first."""
        return service.emerging(size)

    @router.post(
        "/api/emerging/{candidate_id}/draft",
        dependencies=[writes],
        response_class=PlainTextResponse,
        responses={
            **ERRORS,
            **AUTH_ERRORS,
            404: {"model": ErrorBody},
            200: {"content": {"application/yaml": {}}, "description": "Catalog YAML."},
        },
    )
    def draft(candidate_id: str) -> PlainTextResponse:
        """The candidate as a draft catalog narrative (YAML with its exemplars; ``status:
        retired`` until an analyst rewords and activates it)."""
        return PlainTextResponse(service.draft(candidate_id), media_type="application/yaml")

    return router
