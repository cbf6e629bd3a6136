"""Faust glue for spike detection with any number of workers: two agents, a timer, one table.

`register(app, ...)` adds, all run by `pipeline.runner.BatchRunner` (at least once, acked after
delivery):

- agent ``<app id>-spikes-repartition`` on the hits topic (keyed by hit id): re-keys every hit by
  narrative id onto the narrative-keyed hits topic (`pipeline.spikes.repartition`), so one worker
  owns each narrative;
- agent ``<app id>-spikes`` on the narrative-keyed topic: the `SpikeProcessor` step. A narrative's
  whole state (open windows, baselines, recent hit ids, last offset) is one value of the table
  ``spike-states`` keyed by narrative id and written to the changelog partition of the
  narrative's records (`pipeline.spikes.table`): after a crash or a rebalance the partition's new
  owner restores it;
- a timer (every ``min(grace_s, 5)`` s) that sends a `Tick` to each partition of the narrative-keyed
  topic this worker owns. Windows close when the step reads a tick, i.e. inside the stream: the
  closed state is written to the changelog before the tick is acknowledged, so no baseline update
  is lost on a crash (a tick read again after a crash closes nothing twice). The timer also drops
  the gauges of narratives whose partitions moved to another worker.

Records on the narrative-keyed topic that are neither hits nor ticks, and hits records that are
not hits, are dead-lettered (source ``spikes``).
"""

from __future__ import annotations

import logging
from typing import Any

from models.records import utc_now
from pipeline.agents.hits import parse_hit
from pipeline.elastic.alerts import SpikeWriter
from pipeline.metrics import Metrics
from pipeline.runner import BatchRunner, DeadLetterWriter, RetryPolicy
from pipeline.settings import Settings
from pipeline.spikes.processor import SpikeProcessor, parse_spike_input
from pipeline.spikes.records import Spike, Tick
from pipeline.spikes.repartition import repartition_step
from pipeline.spikes.table import StateTable

logger = logging.getLogger(__name__)

SPIKES_SOURCE = "spikes"
"""The dead-letter ``source`` of a record the spike agents could not read."""

STATES_TABLE = "spike-states"
TICK_KEY = b"~tick"
"""Key of `Tick` records (never a narrative id: those are catalog slugs)."""


def tick_interval_s(settings: Settings) -> float:
    """How often ticks are sent: the grace period, at most 5 s (1 s when there is no grace)."""
    return min(settings.spikes.grace_s, 5.0) or 1.0


class Ticker:
    """The timer's work: drop the gauges of narratives whose partitions left this worker, then
    send a `Tick` to each partition of the narrative-keyed topic it owns."""

    def __init__(self, app: Any, topic: Any, processor: SpikeProcessor) -> None:
        self._app = app
        self._topic = topic
        self._processor = processor
        self.owned: set[int] = set()

    async def tick(self) -> None:
        """One round. Never raises: an exception in a Faust timer stops the worker, and a tick
        that was not sent (a producer error while the broker is away) only delays the windows
        it would have closed until the next one, ``tick_interval_s`` later."""
        try:
            name = self._topic.get_topic_name()
            now = {tp.partition for tp in self._app.consumer.assignment() if tp.topic == name}
            self._processor.release(self.owned - now)
            self.owned = now
            value = Tick(at=utc_now()).model_dump_json().encode("utf-8")
            for partition in sorted(now):
                await self._topic.send(key=TICK_KEY, value=value, partition=partition)
        except Exception as exc:
            logger.warning("spike ticks not sent, the next round tries again: %r", exc)


def register(
    app: Any,
    *,
    hits_topic: Any,
    by_narrative_topic: Any,
    spikes_topic: Any,
    settings: Settings,
    metrics: Metrics,
    index_writer: SpikeWriter | None,
    dead_letters: DeadLetterWriter,
    retry: RetryPolicy | None = None,
) -> SpikeProcessor:
    """Add the spike agents, table and timer to `app` (no I/O now). Returns the processor;
    ``processor.agent`` is the spike agent, ``processor.repartition_agent`` the other one."""
    import faust

    s = settings.spikes
    app_id = settings.worker.app_id
    table = app.Table(
        STATES_TABLE,
        default=None,
        schema=faust.Schema(key_serializer="json", value_serializer="json"),
        partitions=settings.topics.partitions,
    )

    async def publish(spike: Spike) -> None:
        delivery = await spikes_topic.send(
            key=spike.id.encode("utf-8"), value=spike.model_dump_json().encode("utf-8")
        )
        await delivery

    processor = SpikeProcessor(s, metrics, publish, index_writer, StateTable(table))
    repartition = BatchRunner(
        name="spikes-repartition",
        parse=parse_hit,
        step=repartition_step,
        dead_letters=dead_letters,
        source=SPIKES_SOURCE,
        output=by_narrative_topic,
        retry=retry,
    )
    spikes = BatchRunner(
        name="spikes",
        parse=parse_spike_input,
        step=processor,
        dead_letters=dead_letters,
        source=SPIKES_SOURCE,
        retry=retry,
    )

    @app.agent(hits_topic, name=f"{app_id}-spikes-repartition", concurrency=1)  # type: ignore[untyped-decorator]
    async def repartition_agent(stream: Any) -> None:
        await repartition.run(app, stream, batch_size=s.batch_size, within_s=s.batch_within_s)

    @app.agent(by_narrative_topic, name=f"{app_id}-spikes", concurrency=1)  # type: ignore[untyped-decorator]
    async def spikes_agent(stream: Any) -> None:
        await spikes.run(app, stream, batch_size=s.batch_size, within_s=s.batch_within_s)

    ticker = Ticker(app, by_narrative_topic, processor)

    @app.timer(tick_interval_s(settings))  # type: ignore[untyped-decorator]
    async def send_ticks() -> None:
        await ticker.tick()

    processor.agent = spikes_agent
    processor.repartition_agent = repartition_agent
    return processor
