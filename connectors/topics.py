"""Create Kafka topics if they do not exist yet (kafka-python admin client)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

logger = logging.getLogger(__name__)

_TOPIC_ALREADY_EXISTS = 36


class TopicSetupError(RuntimeError):
    """The cluster could not be reached or refused to create a topic."""


def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int,
    replication: int,
    *,
    timeout_s: float = 30.0,
    configs: Mapping[str, str] | None = None,
    **admin_config: Any,
) -> list[str]:
    """Make sure every topic in `names` exists; create the missing ones with `partitions` and
    `replication` and wait until they have leaders. Idempotent and safe against concurrent
    creators (an "already exists" answer is success). Existing topics are left as they are.

    `configs` (e.g. ``{"cleanup.policy": "compact"}``) are set on the topics it creates.
    Blocks up to about `timeout_s`. Returns the names it created. Raises `TopicSetupError`.
    `admin_config` is passed to `KafkaAdminClient` (e.g. security options).
    """
    from kafka.admin import KafkaAdminClient
    from kafka.errors import KafkaError

    wanted = list(dict.fromkeys(names))
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap.split(","),
            client_id="narrmon-topics",
            request_timeout_ms=int(timeout_s * 1000),
            **admin_config,
        )
    except KafkaError as exc:
        raise TopicSetupError(f"cannot reach Kafka at {bootstrap}: {exc}") from exc
    try:
        existing = set(admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        result = admin.create_topics(
            {
                name: {
                    "num_partitions": partitions,
                    "replication_factor": replication,
                    **({"configs": dict(configs)} if configs else {}),
                }
                for name in missing
            },
            timeout_ms=int(timeout_s * 1000),
            raise_errors=False,
        )
        created: list[str] = []
        problems: list[str] = []
        for topic in result.get("topics", []):
            name, code = topic.get("name"), topic.get("error_code", 0)
            if code == 0:
                created.append(str(name))
            elif code != _TOPIC_ALREADY_EXISTS:
                problems.append(f"{name}: error {code} {topic.get('error_message') or ''}".strip())
        if problems:
            raise TopicSetupError("could not create topics: " + "; ".join(problems))
        if created:
            admin.wait_for_topics(created, timeout_ms=int(timeout_s * 1000))
            logger.info(
                "created topics %s partitions=%d replication=%d", created, partitions, replication
            )
        return created
    except KafkaError as exc:
        raise TopicSetupError(f"topic setup failed on {bootstrap}: {exc}") from exc
    finally:
        admin.close()
