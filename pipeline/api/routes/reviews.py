"""Routes that label hits (token required, see `pipeline.api.access`)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from pipeline.api.http_errors import AUTH_ERRORS, BODY_ERRORS, ERRORS, ApiError, ErrorBody
from pipeline.api.reviews import ReviewLabel
from pipeline.api.service import HitService

_REVIEWER = re.compile(r"^[\w.@+-]{1,64}$")


class ReviewRequest(BaseModel):
    label: ReviewLabel
    note: str | None = Field(default=None, max_length=2_000)


def reviews_router(service: HitService, writes: Any) -> APIRouter:
    """The review routes on `service`; `writes` is the write-access dependency."""
    router = APIRouter(tags=["reviews"])

    @router.post(
        "/api/hits/{hit_id:path}/review",
        dependencies=[writes],
        responses={
            **ERRORS,
            **AUTH_ERRORS,
            **BODY_ERRORS,
            404: {"model": ErrorBody},
            409: {"model": ErrorBody},
        },
    )
    def review(
        hit_id: str,
        request: ReviewRequest,
        x_reviewer: Annotated[str | None, Header(description="Who is reviewing.")] = None,
    ) -> dict[str, Any]:
        """Label a hit; appends to the audit trail and publishes to the reviews topic."""
        reviewer = x_reviewer or "api-token"
        if not _REVIEWER.match(reviewer):
            raise ApiError(400, "invalid_parameter", "1-64 word characters", "X-Reviewer")
        return service.review(hit_id, request.label, request.note, reviewer)

    return router
