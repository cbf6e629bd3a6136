"""The compacted catalog topic: created idempotently, written by `publish_catalog`.

One partition and one key (`CATALOG_KEY`), so the topic is a single register: log compaction
keeps the latest catalog and every reader sees catalogs in publication order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from models.catalog import Catalog, catalog_message
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

CATALOG_KEY = b"catalog"
TOPIC_CONFIGS = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}


@dataclass(frozen=True)
class Published:
    topic: str
    partition: int
    offset: int
    version: str


def ensure_catalog_topic(settings: Settings, *, timeout_s: float = 30.0) -> bool:
    """Create the catalog topic (1 partition, compacted) unless it exists; True when created.
    Blocking; raises `connectors.topics.TopicSetupError`."""
    from connectors.topics import ensure_topics
    from pipeline.kafka_security import kafka_python_options

    created = ensure_topics(
        settings.kafka.bootstrap,
        [settings.topics.catalog],
        1,
        settings.topics.replication,
        timeout_s=timeout_s,
        configs=TOPIC_CONFIGS,
        **kafka_python_options(settings.kafka.security),
    )
    return bool(created)


def publish_catalog(settings: Settings, catalog: Catalog, *, timeout_s: float = 15.0) -> Published:
    """Write `catalog` (already validated) to the catalog topic and wait for the broker's
    acknowledgement (``acks=all``). Blocking; raises `connectors.topics.TopicSetupError` or
    kafka-python's `KafkaError` when the cluster cannot take it."""
    from kafka import KafkaProducer

    from pipeline.kafka_security import kafka_python_options

    ensure_catalog_topic(settings, timeout_s=timeout_s)
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap.split(","),
        acks="all",
        max_block_ms=int(timeout_s * 1000),
        # a large catalog is one message; the broker's default limit (1 MiB) still applies
        max_request_size=16 * 1024 * 1024,
        **kafka_python_options(settings.kafka.security),
    )
    try:
        future = producer.send(
            settings.topics.catalog, key=CATALOG_KEY, value=catalog_message(catalog)
        )
        meta = future.get(timeout=timeout_s)
    finally:
        producer.close(timeout=timeout_s)
    logger.info(
        "published catalog %s version %s to %s@%d", catalog.name, catalog.version,
        settings.topics.catalog, meta.offset,
    )  # fmt: skip
    return Published(settings.topics.catalog, meta.partition, meta.offset, catalog.version)
