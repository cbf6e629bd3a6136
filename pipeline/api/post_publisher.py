"""Publishing the API's intake (`pipeline.api.intake`) to the posts topic, through the connectors'
kafka-python producer (`connectors.publisher.Publisher`: ``acks="all"``, idempotent, keyed by post
id) with the configured Kafka security options.

`KafkaPostPublisher.publish` blocks until every post of the call is acknowledged, so the API's
202 means the posts are in Kafka. The producer is created on first use (building the app contacts
nothing) and shared by every request (kafka-python's producer is thread-safe).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from models.records import Post
from pipeline.api.errors import IntakeUnavailable
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

INTAKE_SOURCE = "api"
"""The publisher's ``source`` (its delivery metrics label)."""


class PostPublisher(Protocol):
    def publish(self, posts: Sequence[Post]) -> None:
        """Deliver every post or raise `IntakeUnavailable` (blocking)."""


class KafkaPostPublisher:
    """Publishes posts to ``settings.topics.posts``; waits at most `timeout_s` for the
    acknowledgements of one call."""

    def __init__(self, settings: Settings, timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.topic = settings.topics.posts
        self.timeout_s = timeout_s
        self._publisher: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        from connectors.publisher import Publisher, PublisherError
        from pipeline.kafka_security import kafka_python_options

        with self._lock:
            if self._publisher is None:
                try:
                    self._publisher = Publisher(
                        self.settings.kafka.bootstrap,
                        topic=self.topic,
                        dead_letter_topic=self.settings.topics.dead_letter,
                        source=INTAKE_SOURCE,
                        client_id="narrmon-api-intake",
                        linger_ms=5,
                        max_block_ms=int(self.timeout_s * 1000),
                        **kafka_python_options(self.settings.kafka.security),
                    )
                except PublisherError as exc:
                    raise IntakeUnavailable(str(exc)) from exc
            return self._publisher

    def publish(self, posts: Sequence[Post]) -> None:
        from kafka.errors import KafkaError

        from connectors.publisher import PublisherError

        publisher = self._get()
        try:
            deadline = time.monotonic() + self.timeout_s
            futures = [publisher.publish_post(post) for post in posts]
            for future in futures:
                future.get(timeout=max(0.0, deadline - time.monotonic()))
        except (KafkaError, PublisherError) as exc:
            logger.warning("intake: %d posts not stored on %s: %s", len(posts), self.topic, exc)
            raise IntakeUnavailable(f"posts not stored: {type(exc).__name__}") from exc

    def close(self) -> None:
        with self._lock:
            if self._publisher is not None:
                self._publisher.close()
                self._publisher = None
