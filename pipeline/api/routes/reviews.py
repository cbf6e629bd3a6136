"""Routes that label hits (the ``review`` role, see `pipeline.api.access`). The reviewer is the
token's user; no header can change it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from pipeline.api.http_errors import AUTH_ERRORS, BODY_ERRORS, ERRORS, ErrorBody
from pipeline.api.reviews import ReviewLabel
from pipeline.api.service import HitService
from pipeline.api.tokens import Principal


class ReviewRequest(BaseModel):
    label: ReviewLabel
    note: str | None = Field(default=None, max_length=2_000)


def reviews_router(service: HitService, writes: Any) -> APIRouter:
    """The review routes on `service`; `writes` resolves the calling `Principal` (review role)."""
    router = APIRouter(tags=["reviews"])

    @router.post(
        "/api/hits/{hit_id:path}/review",
        responses={
            **ERRORS,
            **AUTH_ERRORS,
            **BODY_ERRORS,
            404: {"model": ErrorBody},
            409: {"model": ErrorBody},
        },
    )
    def review(
        hit_id: str, request: ReviewRequest, principal: Principal = writes
    ) -> dict[str, Any]:
        """Label a hit as the token's user; the review and its audit entry are written together
        and the event is published to the reviews topic."""
        return service.review(hit_id, request.label, request.note, principal.user)

    return router
