"""Emerging narratives in the worker: one clustering round over the unmatched store.

The match step keeps every post that matched no catalog narrative, with its embedding, in the
worker's `models.signals.emerging.UnmatchedStore` (`pipeline.signals.screening`). A Faust timer
calls `EmergingRounds.run_once` every ``signals.emerging.interval_s``: it copies the store on the
event loop, clusters the copy on the model thread (`find_candidates`: CPU-bound, about 0.2 s
for 1,000 posts; it waits behind the batch being matched and delays the next one by as much),
sets ``narrmon_emerging_candidates`` and publishes every candidate: to ``narrative.emerging``
(keyed by candidate id) and to the emerging index. The round's clock is the wall clock: posts
replayed with old ``created_at`` dates fall outside the window and surface nothing.

Delivery: a round is not tied to any offset. A round whose publishing fails is logged and the
next round recomputes and publishes the candidates again (same ids for the same clusters).

Per process: each worker keeps and clusters the unmatched posts of the partitions it owns, so
with N workers a narrative's posts are spread over N stores and each needs ``min_size`` posts
of its own share (about N times the volume before it surfaces), and the same narrative can
surface as up to N candidates. The store is lost on restart (it is a sample of recent posts).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from datetime import UTC, datetime

from models.signals.emerging import EmergingConfig, UnmatchedStore, find_candidates
from pipeline.metrics import Metrics
from pipeline.signals.records import EmergingCandidateRecord

logger = logging.getLogger(__name__)

Publish = Callable[[list[EmergingCandidateRecord]], Awaitable[None]]


class EmergingRounds:
    """Clustering rounds over `store` (see the module docstring). Not thread-safe: call
    `run_once` from the event loop, one round at a time."""

    def __init__(
        self,
        store: UnmatchedStore,
        config: EmergingConfig,
        metrics: Metrics,
        publish: Publish,
        executor: Executor,
        *,
        max_ids: int = 200,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.config = config
        self.metrics = metrics
        self.publish = publish
        self.executor = executor
        self.max_ids = max_ids
        self._clock = clock

    async def run_once(self) -> list[EmergingCandidateRecord]:
        """Cluster, count and publish; returns the round's candidates. Never raises for a
        publishing failure (logged; the next round publishes again)."""
        now = self._clock()
        snapshot = self.store.snapshot()
        loop = asyncio.get_running_loop()
        candidates = await loop.run_in_executor(
            self.executor, find_candidates, snapshot, now, self.config
        )
        self.metrics.emerging_candidates.set(len(candidates))
        records = [EmergingCandidateRecord.of(c, now, self.max_ids) for c in candidates]
        if records:
            logger.info(
                "emerging round: %d candidates from %d unmatched posts",
                len(records),
                len(snapshot),
            )
            try:
                await self.publish(records)
            except Exception:
                logger.exception("emerging round: publishing %d candidates failed", len(records))
        return records
