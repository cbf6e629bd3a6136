"""Run live sources against Kafka: one producer per source, checkpoints, metrics, a summary.

`run_live` is what ``narrmon connect`` and ``narrmon connectors run`` call for each source; the
CLI reads the settings and passes plain values (connectors never import `pipeline`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.live.backoff import DEFAULT_POLICIES, Backoff, BackoffPolicy
from connectors.live.checkpoint import CheckpointStore
from connectors.live.metrics import LiveMetrics
from connectors.live.run_types import RunLimits
from connectors.live.runner import SourceRunner
from connectors.live.source import Filters, LiveSource
from connectors.publisher import DeliveryMetrics, Publisher

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KafkaTarget:
    """Where records go: posts, dead letters and post events (deletes, edits)."""

    bootstrap: str
    posts_topic: str
    dead_letter_topic: str
    events_topic: str


@dataclass(frozen=True)
class RunOptions:
    """How a source runs: limits, filters, the checkpoint folder, the oversize limit, backoff."""

    state_dir: Path
    max_chars: int
    limits: RunLimits = field(default_factory=RunLimits)
    filters: Filters = field(default_factory=Filters)
    backoff: dict[str, BackoffPolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    checkpoint: bool = True
    queue_size: int = 1_000
    checkpoint_every_s: float = 1.0


async def run_live(
    source: LiveSource,
    kafka: KafkaTarget,
    options: RunOptions,
    stop: asyncio.Event,
    *,
    delivery_metrics: DeliveryMetrics | None = None,
    live_metrics: LiveMetrics | None = None,
) -> dict[str, Any]:
    """Run `source` until `stop`, a limit, its end or an error; flush and close the producer.

    Returns the summary: ``source``, ``read``, ``published`` and ``dead_lettered`` (records Kafka
    acknowledged), ``reconnects``, ``deleted``/``edited`` (post events acknowledged),
    ``filtered``, ``duplicates``, ``by_reason``, ``stopped_by``, ``error`` (None when all went
    well), ``delivery_failures``, ``elapsed_s``. Raises `PublisherError` when Kafka cannot be
    reached at start and `CheckpointError` for an unreadable checkpoint.
    """
    started = time.monotonic()
    publisher = await asyncio.to_thread(
        Publisher,
        kafka.bootstrap,
        topic=kafka.posts_topic,
        dead_letter_topic=kafka.dead_letter_topic,
        source=source.source,
        metrics=delivery_metrics,
        client_id=f"narrmon-connect-{source.platform}",
    )
    store = CheckpointStore(options.state_dir, source.source) if options.checkpoint else None
    runner = SourceRunner(
        source,
        publisher,
        events_topic=kafka.events_topic,
        max_chars=options.max_chars,
        backoff=Backoff(options.backoff),
        store=store,
        filters=options.filters,
        limits=options.limits,
        metrics=live_metrics,
        queue_size=options.queue_size,
        checkpoint_every_s=options.checkpoint_every_s,
    )
    try:
        summary = await runner.run(stop)
    finally:
        await asyncio.to_thread(publisher.close)
    stats = publisher.stats
    result = summary.as_dict()
    result.update(
        queued=summary.published,
        published=stats.posts_acked,
        dead_lettered=stats.dead_letters_acked,
        events_acknowledged=stats.events_acked,
        delivery_failures=stats.posts_failed + stats.dead_letters_failed + stats.events_failed,
        topic=kafka.posts_topic,
        dead_letter_topic=kafka.dead_letter_topic,
        events_topic=kafka.events_topic,
        checkpoint=str(store.path) if store is not None else None,
        elapsed_s=round(time.monotonic() - started, 3),
    )
    if result["delivery_failures"] and not result["error"]:
        result["error"] = "Kafka did not acknowledge some records"
    logger.info("source=%s finished: %s", source.source, result)
    return result
