"""Publishing posts and dead letters to Kafka through ONE kafka-python `KafkaProducer`.

Delivery is asynchronous: `publish_post` returns once the record is queued; the producer's I/O
thread acknowledges it later and the callbacks update `DeliveryStats` and the optional Prometheus
metrics (`DeliveryMetrics`: pass the objects from `pipeline.metrics.Metrics`; connectors never
import `pipeline`). `flush()` blocks until everything queued is acknowledged or failed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from prometheus_client import Counter, Gauge

from models.dead_letters import DeadLetter
from models.records import Post

logger = logging.getLogger(__name__)

_COMPRESSION_PREFERENCE = ("zstd", "lz4", "gzip")
_EVENT = "\x00event"  # the delivery kind of `publish_event` records (never a dead-letter reason)


class PublisherError(RuntimeError):
    """Kafka could not be reached or refused a record before it was queued."""


@dataclass(frozen=True)
class DeliveryMetrics:
    """Prometheus metrics to update on delivery; each optional, all labelled by ``source``
    (`dead_lettered` also by ``reason``). Names: `pipeline.metrics.PRODUCER_SENT`,
    `PRODUCER_DELIVERY_FAILURES`, `CONNECTOR_LAST_POST`, `DEAD_LETTERED`, `PRODUCER_CONNECTED`
    (`connected`: 1 once the producer has bootstrapped and after every acknowledged record, 0 after
    a record failed for good, i.e. the brokers stayed unreachable for the whole delivery
    timeout)."""

    sent: Counter | None = None
    failures: Counter | None = None
    last_post: Gauge | None = None
    dead_lettered: Counter | None = None
    connected: Gauge | None = None


@dataclass
class DeliveryStats:
    """Acknowledgements and failures seen so far (updated from the producer's I/O thread)."""

    posts_acked: int = 0
    posts_failed: int = 0
    dead_letters_acked: int = 0
    dead_letters_failed: int = 0
    events_acked: int = 0
    events_failed: int = 0
    errors: Tally[str] = field(default_factory=Tally)
    failed_keys: list[str] = field(default_factory=list)
    """The key (post id, or dead-letter key) of every record whose delivery failed."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def pick_compression() -> str | None:
    """The best codec kafka-python can use here (zstd, lz4, gzip), or None."""
    from kafka import codec

    available = {"zstd": codec.has_zstd(), "lz4": codec.has_lz4(), "gzip": codec.has_gzip()}
    return next((name for name in _COMPRESSION_PREFERENCE if available[name]), None)


class Publisher:
    """Sends `Post`s to `topic` (key = post id, value = Post JSON) and `DeadLetter`s to
    `dead_letter_topic` (key = the letter's key, else its source; value = DeadLetter JSON).

    Producer settings: ``acks="all"``, idempotence on, retries bounded by `delivery_timeout_ms`,
    `linger_ms` batching, the best available compression. Use as a context manager: leaving it
    flushes and closes. Raises `PublisherError` when the cluster cannot be reached at start-up or a
    send fails before queueing (e.g. metadata timeout); failures after queueing are counted in
    `stats`, logged, and never raised.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        topic: str,
        dead_letter_topic: str,
        source: str,
        metrics: DeliveryMetrics | None = None,
        linger_ms: int = 20,
        delivery_timeout_ms: int = 60_000,
        max_block_ms: int = 15_000,
        client_id: str = "narrmon-connector",
        **producer_config: Any,
    ) -> None:
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        self.topic = topic
        self.dead_letter_topic = dead_letter_topic
        self.source = source
        self.metrics = metrics or DeliveryMetrics()
        self.stats = DeliveryStats()
        config: dict[str, Any] = {
            "bootstrap_servers": bootstrap.split(","),
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": True,
            "retries": 2_147_483_647,  # bounded in time by delivery_timeout_ms
            "delivery_timeout_ms": delivery_timeout_ms,
            "max_block_ms": max_block_ms,
            "linger_ms": linger_ms,
            "compression_type": pick_compression(),
        }
        config.update(producer_config)
        try:
            self._producer = KafkaProducer(**config)
        except KafkaError as exc:
            raise PublisherError(f"cannot connect a producer to {bootstrap}: {exc}") from exc
        self._closed = False
        # The constructor only returns once it has talked to a bootstrap broker.
        self._set_connected(True)
        logger.info(
            "producer ready bootstrap=%s topic=%s dlq=%s compression=%s",
            bootstrap,
            topic,
            dead_letter_topic,
            config["compression_type"],
        )

    def publish_post(self, post: Post) -> Any:
        """Queue one post. Non-blocking unless the producer's buffer is full. Returns the
        producer's delivery future (``.get(timeout)`` blocks until acknowledged, raising the
        Kafka error of a failed delivery) for callers that must answer only once it is stored."""
        return self._send(
            self.topic, post.id.encode("utf-8"), post.model_dump_json().encode("utf-8"), None
        )

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        """Queue one dead letter; counts it in `DeliveryMetrics.dead_lettered` when acknowledged."""
        key = (letter.key or letter.source).encode("utf-8")
        self._send(
            self.dead_letter_topic, key, letter.model_dump_json().encode("utf-8"), letter.reason
        )

    def publish_event(self, topic: str, key: str, value: bytes) -> None:
        """Queue one post event (a deletion or an edit, `models.post_events`) on `topic`; counted
        in `DeliveryStats.events_acked` / `events_failed`, not as a post."""
        self._send(topic, key.encode("utf-8"), value, _EVENT)

    def _send(self, topic: str, key: bytes, value: bytes, reason: str | None) -> Any:
        from kafka.errors import KafkaError

        try:
            future = self._producer.send(topic, key=key, value=value)
        except KafkaError as exc:
            self._on_failed(reason, topic, key, exc)
            raise PublisherError(f"could not queue a record for {topic}: {exc}") from exc
        future.add_callback(self._on_acked, reason)
        future.add_errback(self._on_failed, reason, topic, key)
        return future

    def _on_acked(self, reason: str | None, _metadata: Any) -> None:
        self._set_connected(True)
        if reason == _EVENT:
            with self.stats._lock:
                self.stats.events_acked += 1
            return
        with self.stats._lock:
            if reason is None:
                self.stats.posts_acked += 1
            else:
                self.stats.dead_letters_acked += 1
        if reason is None:
            if self.metrics.sent is not None:
                self.metrics.sent.labels(source=self.source).inc()
            if self.metrics.last_post is not None:
                self.metrics.last_post.labels(source=self.source).set(time.time())
        elif self.metrics.dead_lettered is not None:
            self.metrics.dead_lettered.labels(reason=reason, source=self.source).inc()

    def _on_failed(self, reason: str | None, topic: str, key: bytes, exc: BaseException) -> None:
        with self.stats._lock:
            if reason == _EVENT:
                self.stats.events_failed += 1
            elif reason is None:
                self.stats.posts_failed += 1
            else:
                self.stats.dead_letters_failed += 1
            self.stats.errors[type(exc).__name__] += 1
            self.stats.failed_keys.append(key.decode("utf-8", "replace"))
        if self.metrics.failures is not None:
            self.metrics.failures.labels(source=self.source).inc()
        self._set_connected(False)
        logger.error(
            "delivery failed topic=%s key=%s: %s", topic, key.decode("utf-8", "replace"), exc
        )

    def flush(self, timeout_s: float | None = None) -> None:
        """Block until every queued record is acknowledged or has failed (or `timeout_s`)."""
        from kafka.errors import KafkaError

        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            raise PublisherError(f"flush did not complete: {exc}") from exc

    def _set_connected(self, connected: bool) -> None:
        """`DeliveryMetrics.connected` (``ConnectorBrokerUnreachable`` reads it). kafka-python's
        own ``bootstrap_connected()`` is no use here: it drops the bootstrap connection once it
        knows the brokers, so it reads False while records are delivered."""
        if self.metrics.connected is not None:
            self.metrics.connected.labels(source=self.source).set(1 if connected else 0)

    def close(self, timeout_s: float | None = 30.0) -> None:
        """Flush and close the producer. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush(timeout_s)
        finally:
            self._producer.close(timeout=timeout_s)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
