"""The API's error responses: one JSON shape (`ErrorBody`) and the mapping from our exceptions
to status codes. 400 invalid parameter, 401 missing token, 403 wrong token, 404 unknown hit or
escalation, 409 review or escalation raced another write, 413 request body too large
(`pipeline.api.hardening`), 503 (with ``Retry-After``) when Elasticsearch is unavailable or Kafka
did not store posts sent for intake. FastAPI's default 422 for invalid input is replaced by a 400
naming the parameter (or ``body`` when the body is not JSON)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from pipeline.api.errors import IntakeUnavailable, ReviewConflictError
from pipeline.api.params import ParamError
from pipeline.elastic.errors import ElasticConflict, ElasticNotFound, ElasticUnavailable

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 10


class ApiError(Exception):
    """An HTTP error with a JSON body ``{"error": code, "detail": ..., "parameter"?: ...}``."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        parameter: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status, self.code, self.detail = status, code, detail
        self.parameter, self.headers = parameter, headers
        super().__init__(detail)


class ErrorBody(BaseModel):
    error: str
    detail: str
    parameter: str | None = None


# OpenAPI ``responses`` for the routes.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid parameter (named in `parameter`)."},
    503: {"model": ErrorBody, "description": "Elasticsearch unavailable; see Retry-After."},
}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No bearer token."},
    403: {"model": ErrorBody, "description": "Wrong bearer token (or none configured)."},
}
# Reads answer these only when they are protected (see `pipeline.api.access`).
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorBody, "description": "No bearer token (protected reads only)."},
    403: {"model": ErrorBody, "description": "Wrong bearer token (protected reads only)."},
}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "Request body over `api.max_body_bytes`."},
}


def install_error_handlers(app: FastAPI) -> None:
    """Answer our exceptions (and FastAPI's validation errors) with `ErrorBody` JSON."""

    @app.exception_handler(ApiError)
    def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        body = ErrorBody(error=exc.code, detail=exc.detail, parameter=exc.parameter)
        return JSONResponse(body.model_dump(exclude_none=True), exc.status, headers=exc.headers)

    @app.exception_handler(ParamError)
    def _param_error(_: Request, exc: ParamError) -> JSONResponse:
        body = ErrorBody(error="invalid_parameter", detail=exc.message, parameter=exc.parameter)
        return JSONResponse(body.model_dump(), 400)

    @app.exception_handler(RequestValidationError)
    def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path", "header")]
        # A body that is not JSON at all is located by character position: name the body.
        parameter = "body" if first.get("type") == "json_invalid" else ".".join(loc) or "body"
        detail = f"{parameter}: {first.get('msg', 'invalid')}"
        body = ErrorBody(error="invalid_parameter", detail=detail, parameter=parameter)
        return JSONResponse(body.model_dump(), 400)

    @app.exception_handler(ElasticNotFound)
    def _not_found(_: Request, exc: ElasticNotFound) -> JSONResponse:
        return JSONResponse(
            ErrorBody(error="not_found", detail=str(exc)).model_dump(exclude_none=True), 404
        )

    @app.exception_handler(ElasticUnavailable)
    def _unavailable(_: Request, exc: ElasticUnavailable) -> JSONResponse:
        logger.warning("search unavailable: %s", exc)
        body = ErrorBody(error="unavailable", detail="search is temporarily unavailable")
        return JSONResponse(
            body.model_dump(exclude_none=True), 503, headers={"Retry-After": str(RETRY_AFTER_S)}
        )

    @app.exception_handler(IntakeUnavailable)
    def _intake_unavailable(_: Request, exc: IntakeUnavailable) -> JSONResponse:
        logger.warning("intake unavailable: %s", exc)
        body = ErrorBody(error="unavailable", detail="posts were not stored, send them again")
        return JSONResponse(
            body.model_dump(exclude_none=True), 503, headers={"Retry-After": str(RETRY_AFTER_S)}
        )

    @app.exception_handler(ElasticConflict)
    def _elastic_conflict(_: Request, exc: ElasticConflict) -> JSONResponse:
        return JSONResponse(
            ErrorBody(error="conflict", detail=str(exc)).model_dump(exclude_none=True), 409
        )

    @app.exception_handler(ReviewConflictError)
    def _conflict(_: Request, exc: ReviewConflictError) -> JSONResponse:
        return JSONResponse(
            ErrorBody(error="conflict", detail=str(exc)).model_dump(exclude_none=True), 409
        )
