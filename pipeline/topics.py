"""The pipeline's Kafka topics: names and sizes from `settings.topics`, created idempotently.

`posts` is keyed by post id, `hits` by hit id, `posts.dlq` carries `DeadLetter` JSON. Topics are
created before the Faust worker starts (Faust only auto-creates its own internal topics, and a
consumer subscribing to a missing topic would let the broker auto-create it with 1 partition).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int


def pipeline_topics(settings: Settings) -> list[TopicSpec]:
    """The topics the worker reads and writes: posts, hits, dead letters."""
    t = settings.topics
    return [
        TopicSpec(name, t.partitions, t.replication) for name in (t.posts, t.hits, t.dead_letter)
    ]


def ensure_topics(
    bootstrap: str, specs: Iterable[TopicSpec], *, timeout_s: float = 30.0
) -> list[str]:
    """Create the topics in ``specs`` that do not exist yet; return the names created.

    Idempotent: an existing topic is left as it is (its partition count is not changed, a mismatch
    is logged). Blocking (kafka-python admin client). Raises `kafka.errors.KafkaError` subclasses
    when the cluster is unreachable within ``timeout_s``."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    specs = list(specs)
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap.split(","),
        client_id="narrmon-topics",
        request_timeout_ms=int(timeout_s * 1000),
    )
    try:
        existing = set(admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        created: list[str] = []
        for spec in missing:
            try:
                admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, spec.replication)],
                    timeout_ms=int(timeout_s * 1000),
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        for spec in specs:
            if spec.name in existing:
                _warn_on_partition_mismatch(admin, spec)
        if created:
            logger.info("created topics %s", created)
            _wait_for_metadata(admin, created, timeout_s)
        return created
    finally:
        admin.close()


def _warn_on_partition_mismatch(admin: object, spec: TopicSpec) -> None:
    try:
        described = admin.describe_topics([spec.name])  # type: ignore[attr-defined]
        partitions = len(described[0].get("partitions", []))
    except Exception:  # describing is a courtesy; never fail start-up over it
        return
    if partitions and partitions != spec.partitions:
        logger.warning(
            "topic %s has %d partitions, settings say %d", spec.name, partitions, spec.partitions
        )


def _wait_for_metadata(admin: object, names: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if set(names) <= set(admin.list_topics()):  # type: ignore[attr-defined]
            return
        time.sleep(0.2)
    logger.warning("topics %s not visible after %.0fs", names, timeout_s)
