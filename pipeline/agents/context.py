"""What the agents of one worker process share: settings, metrics, the matcher, the topics.

The matcher is loaded ONCE per process (`WorkerContext.warm_up`, called by the worker before it
starts consuming) and only ever called from a single dedicated thread (`model_executor`): model
inference is CPU-bound and already uses every core through torch, so more threads would only
contend (see NOTES), and the event loop must stay free for Kafka heartbeats and commits.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from models.matching import Matcher as MatcherLike
from models.matching import MatchResult as PostMatchesLike
from models.records import DeadLetter
from pipeline.metrics import Metrics
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

MatcherFactory = Callable[[], MatcherLike]


@dataclass(frozen=True)
class PipelineTopics:
    """The Faust topic objects (raw bytes in and out)."""

    posts: Any
    hits: Any
    dead_letters: Any


@dataclass
class WorkerContext:
    settings: Settings
    metrics: Metrics
    matcher_factory: MatcherFactory
    index: str
    topics: PipelineTopics | None = None
    model_executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="narrmon-model")
    )
    _matcher: MatcherLike | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def warm_up(self) -> MatcherLike:
        """Load the matcher (once; later calls return the same one), warm it up and publish the
        model and catalog info metrics. Blocking; thread-safe."""
        with self._lock:
            if self._matcher is None:
                matcher = self.matcher_factory()
                matcher.warm_up()
                narratives = matcher.narratives()
                self.metrics.model.info({"id": matcher.model_id, "dims": str(matcher.dims)})
                self.metrics.catalog.info(
                    {"version": matcher.catalog_version, "narratives": str(len(narratives))}
                )
                self.metrics.catalog_narratives.set(len(narratives))
                logger.info(
                    "matcher ready: model %s (%d dims), catalog %s (%d narratives)",
                    matcher.model_id,
                    matcher.dims,
                    matcher.catalog_version,
                    len(narratives),
                )
                self._matcher = matcher
            return self._matcher

    async def match(self, texts: Sequence[str]) -> Sequence[PostMatchesLike]:
        """Match ``texts`` on the model thread without blocking the event loop."""
        loop = asyncio.get_running_loop()

        def run() -> Sequence[PostMatchesLike]:
            return self.warm_up().match(texts)

        return await loop.run_in_executor(self.model_executor, run)

    async def dead_letter(self, dead: DeadLetter) -> asyncio.Future[Any]:
        """Send ``dead`` to the dead-letter topic and count it. Returns the delivery future:
        the caller awaits it before acknowledging the record it replaces."""
        assert self.topics is not None, "topics are set by create_app"
        key = dead.key.encode("utf-8") if dead.key else None
        future: asyncio.Future[Any] = await self.topics.dead_letters.send(
            key=key, value=dead.model_dump_json().encode("utf-8")
        )
        self.metrics.dead_lettered.labels(reason=dead.reason, source=dead.source).inc()
        logger.warning(
            "dead-lettered record from %s[%s]@%s: %s (%s)",
            dead.original_topic,
            dead.original_partition,
            dead.original_offset,
            dead.reason,
            dead.error[:200],
        )
        return future
