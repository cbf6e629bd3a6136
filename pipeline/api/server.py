"""Wiring the analyst API to real systems: the Elasticsearch client (`pipeline.elastic.client`),
the Kafka review publisher, and uvicorn. Everything else in `pipeline.api` takes these as
arguments."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

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


def follow_catalog(settings: Settings, service: HitService) -> list[Any]:
    """Start the live-catalog readers (`pipeline.live_catalog`) that keep `service`'s catalog
    current: the catalog topic (``catalog.follow``) and the file (``catalog.watch``). Returns
    them (call ``stop()`` on each)."""
    from pipeline.live_catalog.follower import CatalogFollower, FileWatch

    readers: list[Any] = []
    if settings.catalog.follow:
        readers.append(CatalogFollower(settings, service.set_catalog))
    if settings.catalog.watch and settings.catalog.path is not None:
        readers.append(
            FileWatch(
                settings.catalog.path,
                service.set_catalog,
                None,
                settings.catalog.watch_interval_s,
                settings.cache_dir,
            )
        )
    for reader in readers:
        reader.start()
    return readers


def serve(settings: Settings, host: str, port: int, service: HitService | None = None) -> None:
    """Run the API with uvicorn until interrupted (blocking), following the live catalog."""
    import uvicorn

    service = service or build_service(settings)
    app = build_app(settings, service)
    readers = follow_catalog(settings, service)
    logger.info("analyst API on http://%s:%s", host, port)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        for reader in readers:
            reader.stop()
