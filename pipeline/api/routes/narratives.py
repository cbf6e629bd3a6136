"""Routes over the narrative catalog."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pipeline.api.http_errors import READ_ERRORS
from pipeline.api.service import HitService


def narratives_router(service: HitService, reads: Any) -> APIRouter:
    """The narrative routes on `service`; `reads` is the read-access dependency."""
    router = APIRouter(tags=["narratives"], dependencies=[reads], responses=READ_ERRORS)

    @router.get("/api/narratives")
    def narratives(days: Annotated[int, Query(ge=1, le=90)] = 14) -> dict[str, Any]:
        """The catalog's narratives with hit counts and per-day trend."""
        return service.narratives(days)

    return router
