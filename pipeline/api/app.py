"""The analyst HTTP API and web UI (``narrmon api``): assembles the routers, error handlers,
static UI and OpenAPI document.

Why FastAPI: parameters are typed Python annotations, so validation (ranges, enums, required
fields) is declared once and enforced before our code runs; the OpenAPI document is generated from
the same declarations (committed as ``deploy/openapi.json`` and checked by a test); and it runs
our blocking Elasticsearch calls in its thread pool. Status codes: see `pipeline.api.http_errors`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from pipeline.api.access import Access
from pipeline.api.hardening import install_hardening
from pipeline.api.http_errors import install_error_handlers
from pipeline.api.post_publisher import KafkaPostPublisher, PostPublisher
from pipeline.api.routes.escalations import escalations_router
from pipeline.api.routes.hits import hits_router
from pipeline.api.routes.intake import intake_router
from pipeline.api.routes.narratives import narratives_router
from pipeline.api.routes.reviews import reviews_router
from pipeline.api.routes.signals import signals_router
from pipeline.api.routes.spikes import spikes_router
from pipeline.api.service import HitService
from pipeline.api.signals import SignalService
from pipeline.elastic.alerts import SpikeReader
from pipeline.escalations.service import EscalationService
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    settings: Settings, service: HitService, intake: PostPublisher | None = None
) -> FastAPI:
    """The API on top of `service` (which owns the ES client, review publisher and model);
    `intake` publishes posts sent to ``/api/ingest`` and ``/api/reports`` (default: Kafka's
    posts topic, connected on first use and closed when the app shuts down)."""
    own: KafkaPostPublisher | None = None
    if intake is None:
        intake = own = KafkaPostPublisher(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if own is not None:
            await asyncio.to_thread(own.close)  # flushes: blocking

    app = FastAPI(
        title="narrmon analyst API",
        version="1",
        description="Search, explain, review and escalate narrative hits; see spikes; take in "
        "posts and crowd reports.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_hardening(app, settings.api.max_body_bytes)
    access = Access(settings)  # reads the tokens file: a bad one fails here, naming the line
    reads = access.require("read")
    app.include_router(hits_router(settings, service, reads))
    app.include_router(narratives_router(service, reads))
    app.include_router(reviews_router(service, access.require("review")))
    app.include_router(intake_router(settings, intake, access.require("ingest")))
    app.include_router(
        signals_router(SignalService(service.client, settings), reads, access.require("review"))
    )
    app.include_router(
        escalations_router(
            EscalationService(service.client, settings), reads, access.require("escalate")
        )
    )
    app.include_router(spikes_router(SpikeReader(service.client, settings), reads))

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
