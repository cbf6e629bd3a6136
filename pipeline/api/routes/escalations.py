"""Routes over escalations: create and update (the ``escalate`` role; the audit trail takes who
from the token, never from a header), list, summarise and export as a tracking sheet (read
access)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from pipeline.api.http_errors import (
    AUTH_ERRORS,
    BODY_ERRORS,
    ERRORS,
    READ_ERRORS,
    ApiError,
    ErrorBody,
)
from pipeline.api.params import ParamError, split_values
from pipeline.api.tokens import Principal
from pipeline.escalations import sheet
from pipeline.escalations.records import ACTIONS, STATUSES, EscalationCreate, EscalationUpdate
from pipeline.escalations.service import EscalationService

_ID = re.compile(r"^[0-9a-f]{32}$")
_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,1023}$")
WRITE_ERRORS = {**ERRORS, **AUTH_ERRORS, **BODY_ERRORS, 404: {"model": ErrorBody},
                409: {"model": ErrorBody}}  # fmt: skip


Filter = Annotated[list[str] | None, Query(description="Repeat or comma-separate.")]


def escalation_filters(
    *,
    hit: Filter = None,
    status: Filter = None,
    platform: Filter = None,
    narrative: Filter = None,
    action: Filter = None,
) -> dict[str, Sequence[str]]:
    """The list filters, checked (raises `ParamError` naming the parameter)."""
    found: dict[str, Sequence[str]] = {
        "hit": split_values(hit, "hit"),
        "status": split_values(status, "status"),
        "platform": split_values(platform, "platform"),
        "narrative": split_values(narrative, "narrative"),
        "action": split_values(action, "action"),
    }
    for name, allowed in (("status", STATUSES), ("action", ACTIONS)):
        for value in found[name]:
            if value not in allowed:
                raise ParamError(name, f"unknown value {value!r} (one of {', '.join(allowed)})")
    for name in ("hit", "platform", "narrative"):
        for value in found[name]:
            if not _SHAPE.match(value):
                raise ParamError(name, f"{value!r} is not a valid {name}")
    return found


Filters = Annotated[dict[str, Sequence[str]], Depends(escalation_filters)]


def escalations_router(service: EscalationService, reads: Any, writes: Any) -> APIRouter:
    """The escalation routes; `reads` guards reads, `writes` resolves the calling `Principal`."""
    router = APIRouter(tags=["escalations"])

    @router.post("/api/escalations", status_code=201, responses=WRITE_ERRORS)
    def create(request: EscalationCreate, principal: Principal = writes) -> dict[str, Any]:
        """Escalate a hit to its platform (status ``open`` unless given) as the token's user;
        audited."""
        return service.create(request, principal.user).model_dump(mode="json")

    @router.patch("/api/escalations/{escalation_id}", responses=WRITE_ERRORS)
    def update(
        escalation_id: str, request: EscalationUpdate, principal: Principal = writes
    ) -> dict[str, Any]:
        """Change an escalation's status, outcome or channel as the token's user; audited with
        `note`."""
        if not _ID.match(escalation_id):
            raise ApiError(400, "invalid_parameter", "32 hex characters", "escalation_id")
        return service.update(escalation_id, request, principal.user).model_dump(mode="json")

    @router.get("/api/escalations", dependencies=[reads], responses=READ_ERRORS)
    def list_escalations(
        filters: Filters, size: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> dict[str, Any]:
        """Escalations, newest update first, with the summary of those matching."""
        matching = service.find(filters)
        return {
            "total": len(matching),
            "escalations": [e.model_dump(mode="json") for e in matching[:size]],
            "summary": sheet.summary(matching),
        }

    @router.get("/api/escalations/summary", dependencies=[reads], responses=READ_ERRORS)
    def summary() -> dict[str, Any]:
        """Counts overall, per platform and per narrative: requested, sent, actioned, declined,
        no_response, pending."""
        return service.summary()

    @router.get(
        "/api/escalations/export",
        dependencies=[reads],
        responses={**READ_ERRORS, 200: {"content": {"text/csv": {}, "application/json": {}}}},
        response_class=StreamingResponse,
    )
    def export(filters: Filters, format: Literal["csv", "json"] = "csv") -> Response:
        """The tracking sheet: one row per escalation (CSV with formula-safe cells, or JSON
        with the summary)."""
        rows = service.find(filters)
        disposition = {"Content-Disposition": f'attachment; filename="escalations.{format}"'}
        if format == "json":
            return PlainTextResponse(
                sheet.json_document(rows), media_type="application/json", headers=disposition
            )
        return StreamingResponse(
            sheet.csv_lines(rows), media_type="text/csv; charset=utf-8", headers=disposition
        )

    return router
