"""The spike agent's step without Faust: count hits, close windows on ticks, report spikes.

`SpikeProcessor` is a `pipeline.runner` step over batches of the narrative-keyed hits topic
(`parse_spike_input`: a `Hit` or a `Tick`). Per batch, in record order: a hit is counted in its
narrative's open window (once: see `pipeline.spikes.detector`), a tick closes the due windows of
the narratives of the tick's partition. Then the closed windows are reported (gauges; each spike
published and delivered, counted, and indexed best effort), and only then are the changed
narrative states written to the store: a crash before the write replays the batch and closes the
same windows again (the spike is re-sent with the same id; the index overwrites it), never the
other way round (a window closed in the changelog whose spike was never sent).

Effects go through injected callables (publish a spike and wait for its delivery, index it) and
the metrics object, so this class is tested with plain coroutines.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from models.errors import InvalidRecord
from models.records import Hit
from pipeline.agents.hits import parse_hit
from pipeline.elastic.alerts import SpikeWriter
from pipeline.metrics import Metrics
from pipeline.runner import Record, StepResult
from pipeline.settings import SpikeSettings
from pipeline.spikes.detector import SpikeDetector, WindowResult
from pipeline.spikes.records import Spike, Tick

logger = logging.getLogger(__name__)

SpikePublisher = Callable[[Spike], Awaitable[None]]
"""Send a spike event and return once it is delivered."""

SpikeInput = Hit | Tick

_TICK_MARK = b'"kind":"tick"'


def parse_spike_input(raw: bytes) -> SpikeInput:
    """A record of the narrative-keyed hits topic: a `Tick` or a `Hit`. Raises `InvalidRecord`
    (``schema_error``) for anything else."""
    if _TICK_MARK in raw[:32]:
        try:
            return Tick.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidRecord("schema_error", f"not a tick: {exc.error_count()} errors") from exc
    return parse_hit(raw)


class SpikeProcessor:
    """Not thread-safe: one per worker, driven from the event loop only."""

    def __init__(
        self,
        settings: SpikeSettings,
        metrics: Metrics,
        publish: SpikePublisher,
        index_writer: SpikeWriter | None,
        states: MutableMapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.detector = SpikeDetector(settings, states)
        self.metrics = metrics
        self.publish = publish
        self.index_writer = index_writer
        self._primed: set[tuple[str, str]] = set()
        self._gauges: dict[int | None, set[tuple[str, str]]] = {}
        self.agent: Any = None
        """The Faust spike agent, once `pipeline.spikes.agent.register` ran."""
        self.repartition_agent: Any = None

    async def __call__(self, batch: Sequence[Record[SpikeInput]]) -> StepResult[SpikeInput]:
        """The runner step (see the module docstring). Raises what `publish` raises."""
        results: list[tuple[int | None, WindowResult]] = []
        for record in batch:
            value, origin = record.value, record.origin
            if isinstance(value, Tick):
                closed = self.detector.close_due(value.at, partition=origin.partition)
                results += [(origin.partition, r) for r in closed]
            else:
                self.on_hit(value, partition=origin.partition, offset=origin.offset)
        await self._report(results)
        self.detector.flush()
        return StepResult()

    def on_hit(self, hit: Hit, *, partition: int | None = None, offset: int | None = None) -> bool:
        """Count one hit read at `partition`/`offset`; False when it was already counted."""
        labels = (hit.narrative.id, hit.narrative.severity)
        if labels not in self._primed:
            # Create the counter series at 0 so Prometheus sees the step to 1 (increase()).
            self.metrics.spikes.labels(*labels)
            self._primed.add(labels)
        counted = self.detector.observe(hit, partition=partition, offset=offset)
        self.metrics.spike_hits.labels(outcome="counted" if counted else "duplicate").inc()
        return counted

    async def tick(self, now: datetime, partition: int | None = None) -> list[Spike]:
        """Close the windows due at `now` (of `partition`'s narratives; None: all), report them
        and write the states back. Returns the spikes."""
        results = self.detector.close_due(now, partition=partition)
        spikes = await self._report([(partition, r) for r in results])
        self.detector.flush()
        return spikes

    def release(self, partitions: Iterable[int]) -> None:
        """Forget the gauges of the narratives last reported from `partitions` (revoked from
        this worker: their new owner reports them now)."""
        for partition in partitions:
            for labels in self._gauges.pop(partition, set()):
                for gauge in self._narrative_gauges():
                    with contextlib.suppress(KeyError):  # never exported under these labels
                        gauge.remove(*labels)

    async def _report(self, results: Sequence[tuple[int | None, WindowResult]]) -> list[Spike]:
        spikes: list[Spike] = []
        for partition, result in results:
            if result.platform is None:
                self._export(partition, result)
            if result.spike is not None:
                spikes.append(result.spike)
        for spike in spikes:
            await self.publish(spike)
            if spike.platform is None:
                self.metrics.spikes.labels(spike.narrative_id, spike.severity).inc()
            if self.index_writer is not None:
                try:
                    await self.index_writer(spike)
                except Exception:  # the event is on the topic; indexing is best effort
                    logger.exception("spikes: could not index spike %s", spike.id)
        return spikes

    def _narrative_gauges(self) -> tuple[Any, ...]:
        m = self.metrics
        return (m.narrative_rate, m.narrative_baseline, m.narrative_zscore)

    def _export(self, partition: int | None, result: WindowResult) -> None:
        # The gauges are per minute whatever the window length (`spikes.window_s`).
        labels = (result.narrative_id, result.severity)
        self._gauges.setdefault(partition, set()).add(labels)
        per_minute = self.detector.per_minute
        self.metrics.narrative_rate.labels(*labels).set(result.count * per_minute)
        self.metrics.narrative_baseline.labels(*labels).set(result.baseline * per_minute)
        self.metrics.narrative_zscore.labels(*labels).set(result.z)
