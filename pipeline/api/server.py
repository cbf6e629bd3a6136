"""Wiring the analyst API to real systems: the Elasticsearch client, the Kafka review publisher,
and uvicorn. Everything else in `pipeline.api` takes these as arguments."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pipeline.settings import Settings

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch
    from fastapi import FastAPI

    from pipeline.api.service import HitService

logger = logging.getLogger(__name__)


def es_client(settings: Settings) -> Elasticsearch:
    from elasticsearch import Elasticsearch

    es = settings.elasticsearch
    api_key = es.api_key.get_secret_value() if es.api_key else None
    return Elasticsearch(es.endpoint, api_key=api_key, request_timeout=15, max_retries=1)


def build_service(settings: Settings, publish_reviews: bool = True) -> HitService:
    """A `HitService` on the configured cluster, publishing reviews to Kafka when asked."""
    from pipeline.api.reviews import KafkaReviewPublisher
    from pipeline.api.service import HitService

    publisher = (
        KafkaReviewPublisher(settings.kafka.bootstrap, settings.topics.reviews)
        if publish_reviews
        else None
    )
    return HitService(es_client(settings), settings, publisher=publisher)


def build_app(settings: Settings, service: HitService | None = None) -> FastAPI:
    from pipeline.api.app import create_app

    return create_app(settings, service or build_service(settings))


def serve(settings: Settings, host: str, port: int, service: HitService | None = None) -> None:
    """Run the API with uvicorn until interrupted (blocking)."""
    import uvicorn

    app = build_app(settings, service)
    logger.info("analyst API on http://%s:%s", host, port)
    uvicorn.run(app, host=host, port=port, log_level="info")
