"""The analyst HTTP API and web UI (``narrmon api``).

Why FastAPI: parameters are typed Python annotations, so validation (ranges, enums, required
fields) is declared once and enforced before our code runs; the OpenAPI document is generated from
the same declarations (committed as ``deploy/openapi.json`` and checked by a test); and it runs
our blocking Elasticsearch calls in its thread pool. Its default 422 for invalid input is replaced
by a 400 naming the parameter.

Status codes: 400 invalid parameter, 401 missing token, 403 wrong token, 404 unknown hit,
409 review raced another write, 503 (with ``Retry-After``) when Elasticsearch is unavailable.
"""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from pipeline.api import export
from pipeline.api.errors import (
    HitNotFoundError,
    ReviewConflictError,
    SearchUnavailableError,
)
from pipeline.api.params import HitFilters, ParamError, SortOrder, build_filters
from pipeline.api.reviews import ReviewLabel
from pipeline.api.service import HitService
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
RETRY_AFTER_S = 10
_REVIEWER = re.compile(r"^[\w.@+-]{1,64}$")
_bearer = HTTPBearer(auto_error=False)


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


class SimilarRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    size: int = Field(default=10, ge=1, le=100)


class ReviewRequest(BaseModel):
    label: ReviewLabel
    note: str | None = Field(default=None, max_length=2_000)


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid parameter (named in `parameter`)."},
    503: {"model": ErrorBody, "description": "Elasticsearch unavailable; see Retry-After."},
}
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No bearer token."},
    403: {"model": ErrorBody, "description": "Wrong bearer token (or none configured)."},
}


def _filters(
    *,
    q: Annotated[str | None, Query(description="Free text (simple query syntax).")] = None,
    narrative: Annotated[list[str] | None, Query()] = None,
    platform: Annotated[list[str] | None, Query()] = None,
    stance: Annotated[list[str] | None, Query()] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    verdict: Annotated[list[str] | None, Query()] = None,
    author: Annotated[list[str] | None, Query()] = None,
    domain: Annotated[list[str] | None, Query()] = None,
    language: Annotated[list[str] | None, Query()] = None,
    review: Annotated[list[str] | None, Query(description="Review state(s).")] = None,
    since: Annotated[str | None, Query(description="ISO 8601 or relative: 24h, 7d.")] = None,
    until: Annotated[str | None, Query(description="ISO 8601 or relative: 24h, 7d.")] = None,
    min_score: Annotated[float | None, Query(ge=0, le=10)] = None,
) -> HitFilters:
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
        since=since,
        until=until,
        min_score=min_score,
    )


def _check_token(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> None:
    if credentials is None:
        raise ApiError(
            401, "unauthorized", "bearer token required", headers={"WWW-Authenticate": "Bearer"}
        )
    expected = settings.api.token
    if expected is None:
        raise ApiError(403, "forbidden", "no API token is configured: reviews are disabled")
    if not secrets.compare_digest(
        credentials.credentials.encode(), expected.get_secret_value().encode()
    ):
        raise ApiError(403, "forbidden", "wrong token")


def create_app(settings: Settings, service: HitService) -> FastAPI:
    """The API on top of `service` (which owns the ES client, Kafka publisher and model)."""
    app = FastAPI(
        title="narrmon analyst API",
        version="1",
        description="Search, explain and review narrative hits.",
    )

    def read_access(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if settings.api.protect_reads:
            _check_token(settings, credentials)

    def write_access(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        _check_token(settings, credentials)

    reads = [Depends(read_access)]

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
        parameter = ".".join(loc) or "body"
        detail = f"{parameter}: {first.get('msg', 'invalid')}"
        body = ErrorBody(error="invalid_parameter", detail=detail, parameter=parameter)
        return JSONResponse(body.model_dump(), 400)

    @app.exception_handler(HitNotFoundError)
    def _not_found(_: Request, exc: HitNotFoundError) -> JSONResponse:
        return JSONResponse(
            ErrorBody(error="not_found", detail=str(exc)).model_dump(exclude_none=True), 404
        )

    @app.exception_handler(SearchUnavailableError)
    def _unavailable(_: Request, exc: SearchUnavailableError) -> JSONResponse:
        logger.warning("search unavailable: %s", exc)
        body = ErrorBody(error="unavailable", detail="search is temporarily unavailable")
        return JSONResponse(
            body.model_dump(exclude_none=True), 503, headers={"Retry-After": str(RETRY_AFTER_S)}
        )

    @app.exception_handler(ReviewConflictError)
    def _conflict(_: Request, exc: ReviewConflictError) -> JSONResponse:
        return JSONResponse(
            ErrorBody(error="conflict", detail=str(exc)).model_dump(exclude_none=True), 409
        )

    @app.get("/api/search", dependencies=reads, responses=_ERRORS, tags=["hits"])
    def search(
        filters: Annotated[HitFilters, Depends(_filters)],
        sort: SortOrder = "relevance",
        size: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, Query(description="`next` of the previous page.")] = None,
    ) -> dict[str, Any]:
        """Hits matching the filters, with highlights and explanation summaries."""
        return service.search(filters, sort, size, cursor)

    @app.get("/api/aggregations", dependencies=reads, responses=_ERRORS, tags=["hits"])
    def aggregations(
        filters: Annotated[HitFilters, Depends(_filters)],
        interval: Literal["hour", "day"] = "day",
        top: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        """Counts per narrative, platform, stance, severity, author, domain and over time."""
        return service.aggregations(filters, interval, top)

    @app.post("/api/similar", dependencies=reads, responses=_ERRORS, tags=["hits"])
    def similar(request: SimilarRequest) -> dict[str, Any]:
        """Hits whose posts are closest in meaning to `text` (kNN on the post embeddings)."""
        return service.similar(request.text, request.size)

    @app.get("/api/narratives", dependencies=reads, responses=_ERRORS, tags=["narratives"])
    def narratives(days: Annotated[int, Query(ge=1, le=90)] = 14) -> dict[str, Any]:
        """The catalog's narratives with hit counts and per-day trend."""
        return service.narratives(days)

    @app.get(
        "/api/hits/{hit_id:path}",
        dependencies=reads,
        responses={**_ERRORS, 404: {"model": ErrorBody}},
        tags=["hits"],
    )
    def get_hit(hit_id: str) -> dict[str, Any]:
        """One hit in full, with its explanation, review and review history."""
        return service.get_hit(hit_id)

    @app.post(
        "/api/hits/{hit_id:path}/review",
        dependencies=[Depends(write_access)],
        responses={**_ERRORS, **_AUTH_ERRORS, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
        tags=["reviews"],
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

    @app.get(
        "/api/export",
        dependencies=reads,
        responses={**_ERRORS, 200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
        response_class=StreamingResponse,
        tags=["hits"],
    )
    def export_hits(
        filters: Annotated[HitFilters, Depends(_filters)],
        format: Literal["csv", "jsonl"] = "jsonl",
        limit: Annotated[int | None, Query(ge=1)] = None,
    ) -> StreamingResponse:
        """Matching hits, newest first, streamed; at most `api.export_max_rows`."""
        cap = settings.api.export_max_rows
        rows = service.export(filters, min(limit or cap, cap))
        media, lines = export.render(rows, format)
        return StreamingResponse(
            lines,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="hits.{format}"'},
        )

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi_schema = None
    app.openapi = lambda: _cached_openapi(app)  # type: ignore[method-assign]
    return app


def _cached_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        app.openapi_schema = openapi_document(app)
    return app.openapi_schema


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI with FastAPI's unused 422 responses dropped (we answer 400)."""
    from fastapi.openapi.utils import get_openapi

    spec = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for path in spec.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        spec.get("components", {}).get("schemas", {}).pop(name, None)
    return spec
