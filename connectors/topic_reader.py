"""Reading a whole topic once, from its oldest retained record to its end (kafka-python).

Used by operator tools (`narrmon dlq`) that inspect a topic without joining a consumer group: the
partitions are assigned explicitly, nothing is committed, and the end of each partition is fixed
when reading starts, so a topic that keeps growing is still read to a well-defined end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


class TopicReadError(RuntimeError):
    """The cluster could not be reached, the topic does not exist, or reading stalled."""


@dataclass(frozen=True)
class TopicRecord:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None


def read_topic(
    bootstrap: str,
    topic: str,
    *,
    timeout_s: float = 30.0,
    client_id: str = "narrmon-reader",
    **consumer_config: Any,
) -> Iterator[TopicRecord]:
    """Yield every record of `topic` present when reading starts, partition by partition in
    offset order. Blocks while fetching; gives up with `TopicReadError` when the cluster cannot be
    reached, the topic is missing, or no record arrives for `timeout_s` while some are due.
    `consumer_config` is passed to `KafkaConsumer` (e.g. security options)."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.errors import KafkaError

    try:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap.split(","),
            client_id=client_id,
            group_id=None,
            enable_auto_commit=False,
            allow_auto_create_topics=False,
            request_timeout_ms=max(int(timeout_s * 1000), 31_000),
            **consumer_config,
        )
    except KafkaError as exc:
        raise TopicReadError(f"cannot reach Kafka at {bootstrap}: {exc}") from exc
    try:
        partitions = _partitions(consumer, topic, timeout_s)
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
        begins = {tp.partition: offset for tp, offset in consumer.beginning_offsets(tps).items()}
        pending = {p for p in partitions if ends[p] > begins[p]}
        last_progress = time.monotonic()
        while pending:
            batches = consumer.poll(timeout_ms=500, max_records=500)
            if any(batches.values()):
                last_progress = time.monotonic()
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends[tp.partition]:
                        break
                    yield TopicRecord(
                        topic=topic,
                        partition=tp.partition,
                        offset=record.offset,
                        timestamp_ms=record.timestamp,
                        key=record.key,
                        value=record.value,
                    )
            # Checked for every partition, not only those that returned records: the last offsets
            # of a partition may be transaction markers, which advance the position silently.
            for tp in tps:
                if tp.partition in pending and consumer.position(tp) >= ends[tp.partition]:
                    pending.discard(tp.partition)
                    consumer.pause(tp)
            if pending and time.monotonic() - last_progress > timeout_s:
                raise TopicReadError(
                    f"no records from {topic} for {timeout_s:.0f}s "
                    f"(partitions still due: {sorted(pending)})"
                )
    except KafkaError as exc:
        raise TopicReadError(f"reading {topic} failed: {exc}") from exc
    finally:
        consumer.close(autocommit=False)


def _partitions(consumer: Any, topic: str, timeout_s: float) -> list[int]:
    if topic not in consumer.topics():
        raise TopicReadError(f"topic {topic} does not exist")
    deadline = time.monotonic() + timeout_s
    while True:  # metadata of a topic created a moment ago may lag behind the topic list
        found = consumer.partitions_for_topic(topic)
        if found:
            return sorted(found)
        if time.monotonic() > deadline:
            raise TopicReadError(f"no partition metadata for {topic} after {timeout_s:.0f}s")
        time.sleep(0.2)
