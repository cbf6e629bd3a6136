"""Kafka I/O of `narrmon dlq`: read the dead-letter topic, look post ids up on the posts topic,
publish replayed posts. Blocking; raises `connectors.topic_reader.TopicReadError` and
`connectors.publisher.PublisherError`."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from connectors.publisher import DeliveryStats
from models.records import Post
from pipeline.dlq.letters import Decoded, decode_letters
from pipeline.kafka_security import kafka_python_options
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

REPLAY_SOURCE = "dlq-replay"


def read_letters(settings: Settings, *, timeout_s: float = 30.0) -> Decoded:
    """Every dead letter on ``settings.topics.dead_letter`` right now."""
    from connectors.topic_reader import read_topic

    records = read_topic(
        settings.kafka.bootstrap,
        settings.topics.dead_letter,
        timeout_s=timeout_s,
        client_id="narrmon-dlq",
        **kafka_python_options(settings.kafka.security),
    )
    return decode_letters((r.partition, r.offset, r.value) for r in records)


def find_delivered(
    settings: Settings,
    ids: set[str],
    refused: set[tuple[int, int]],
    *,
    timeout_s: float = 30.0,
) -> dict[str, str]:
    """Where each of `ids` already is on the posts topic (``posts[p]@o``), leaving out the
    `refused` positions (records that were dead-lettered). Reads the whole posts topic once; keeps
    only the ids asked for, so memory stays bounded by `ids`."""
    from connectors.topic_reader import read_topic

    if not ids:
        return {}
    found: dict[str, str] = {}
    topic = settings.topics.posts
    for record in read_topic(
        settings.kafka.bootstrap,
        topic,
        timeout_s=timeout_s,
        client_id="narrmon-dlq",
        **kafka_python_options(settings.kafka.security),
    ):
        if record.key is None or (record.partition, record.offset) in refused:
            continue
        key = record.key.decode("utf-8", errors="replace")
        if key in ids and key not in found:
            found[key] = f"{topic}[{record.partition}]@{record.offset}"
    return found


def publish(settings: Settings, posts: Iterable[Post]) -> DeliveryStats:
    """Publish `posts` to the posts topic (key = post id) and wait for every acknowledgement."""
    from connectors.publisher import Publisher

    with Publisher(
        settings.kafka.bootstrap,
        topic=settings.topics.posts,
        dead_letter_topic=settings.topics.dead_letter,
        source=REPLAY_SOURCE,
        client_id="narrmon-dlq-replay",
        **kafka_python_options(settings.kafka.security),
    ) as publisher:
        for post in posts:
            publisher.publish_post(post)
        publisher.flush()
        stats = publisher.stats
    logger.info("replayed %d posts (%d failed)", stats.posts_acked, stats.posts_failed)
    return stats
