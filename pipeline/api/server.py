"""Wiring the analyst API to real systems: the Elasticsearch client (`pipeline.elastic.client`),
the Kafka review publisher, and uvicorn. Everything else in `pipeline.api` takes these as
arguments."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pipeline.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from pipeline.api.service import HitService

logger = logging.getLogger(__name__)


def build_service(settings: Settings, publish_reviews: bool = True) -> HitService:
    """A `HitService` on the configured cluster, publishing reviews to Kafka when asked."""
    from pipeline.api.reviews import KafkaReviewPublisher
    from pipeline.api.service import HitService
    from pipeline.elastic.client import INTERACTIVE, make_client
    from pipeline.kafka_security import kafka_python_options

    publisher = (
        KafkaReviewPublisher(
            settings.kafka.bootstrap,
            settings.topics.reviews,
            client_config=kafka_python_options(settings.kafka.security),
        )
        if publish_reviews
        else None
    )
    return HitService(make_client(settings, INTERACTIVE), settings, publisher=publisher)


def build_app(settings: Settings, service: HitService | None = None) -> FastAPI:
    from pipeline.api.app import create_app

    return create_app(settings, service or build_service(settings))


def serve(settings: Settings, host: str, port: int, service: HitService | None = None) -> None:
    """Run the API with uvicorn until interrupted (blocking)."""
    import uvicorn

    app = build_app(settings, service)
    logger.info("analyst API on http://%s:%s", host, port)
    uvicorn.run(app, host=host, port=port, log_level="info")
