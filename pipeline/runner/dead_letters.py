"""The dead-letter topic writer shared by every runner (and the spike agent's glue)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from models.dead_letters import DeadLetter, RecordOrigin
from models.errors import InvalidRecord
from pipeline.metrics import Metrics

logger = logging.getLogger(__name__)


class DeadLetterWriter:
    """Sends `DeadLetter`s to the dead-letter topic (a Faust topic of raw bytes) and counts them in
    ``narrmon_dead_lettered_total{reason, source}``. Call from the event loop only."""

    def __init__(self, topic: Any, metrics: Metrics) -> None:
        self._topic = topic
        self._metrics = metrics

    async def send_invalid(
        self, raw: bytes, error: InvalidRecord, origin: RecordOrigin, *, source: str
    ) -> asyncio.Future[Any]:
        """Dead-letter `raw`, refused with `error`, read at `origin` (`source` when the error
        names none). Returns the delivery future: await it before acknowledging the record.

        Building the dead letter cannot stop the worker: should `DeadLetter.of_invalid` itself
        fail on some input, a minimal dead letter (``unexpected_error``, the original bytes, no
        origin texts) goes instead."""
        try:
            dead = DeadLetter.of_invalid(raw, error, origin, source=source)
            value = dead.model_dump_json().encode("utf-8")
        except Exception as exc:
            logger.exception("could not build the dead letter of %s", origin)
            dead = DeadLetter.of(
                raw,
                "unexpected_error",
                f"{error.reason}; building its dead letter failed: {type(exc).__name__}",
                source,
                original_topic=origin.topic,
                original_partition=origin.partition,
                original_offset=origin.offset,
            )
            value = dead.model_dump_json().encode("utf-8")
        return await self._send(dead, value)

    async def send(self, dead: DeadLetter) -> asyncio.Future[Any]:
        """Send `dead` and count it. Returns the delivery future (see `send_invalid`). Raises what
        the producer raises."""
        return await self._send(dead, dead.model_dump_json().encode("utf-8"))

    async def _send(self, dead: DeadLetter, value: bytes) -> asyncio.Future[Any]:
        key = dead.key.encode("utf-8") if dead.key else None
        future: asyncio.Future[Any] = await self._topic.send(key=key, value=value)
        self._metrics.dead_lettered.labels(reason=dead.reason, source=dead.source).inc()
        logger.warning(
            "dead-lettered record from %s[%s]@%s: %s (%s)",
            dead.original_topic,
            dead.original_partition,
            dead.original_offset,
            dead.reason,
            dead.error[:200],
        )
        return future
