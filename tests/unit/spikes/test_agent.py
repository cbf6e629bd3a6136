"""The Faust glue, run with `agent.test_context()` (no broker): hits and ticks in through the
narrative-keyed topic, a spike out through the spikes topic's ``send``, the narrative's state in
the ``spike-states`` table, a record that is not a hit out through the dead-letter writer (sends
recorded here: the broker-backed path is covered by the multi-worker integration test)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from prometheus_client import CollectorRegistry

from models.dead_letters import DeadLetter
from pipeline.metrics import DEAD_LETTERED, SPIKES, Metrics
from pipeline.runner import DeadLetterWriter
from pipeline.settings import Settings, SpikeSettings
from pipeline.spikes.agent import STATES_TABLE, register
from pipeline.spikes.records import Spike, Tick
from tests.unit.spikes.conftest import HitFactory, at_minute


class RecordingTopic:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes]] = []

    async def send(self, *, key: bytes, value: bytes) -> asyncio.Future[None]:
        self.sent.append((key, value))
        delivered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered


def test_agent_turns_a_burst_into_one_spike_event(make_hit: HitFactory) -> None:
    settings = Settings(
        spikes=SpikeSettings(grace_s=0, warmup_min=0, by_platform=False, batch_size=4)
    )
    metrics = Metrics(CollectorRegistry())
    indexed: list[Spike] = []

    async def index(spike: Spike) -> None:
        indexed.append(spike)

    dead_letter_topic = RecordingTopic()
    spikes_topic = RecordingTopic()

    async def scenario() -> dict[str, Any]:
        app = faust.App("test-spikes", store="memory://", value_serializer="raw")
        hits = app.topic("hits", value_type=bytes, value_serializer="raw")
        by_narrative = app.topic("hits.by-narrative", value_type=bytes, value_serializer="raw")
        processor = register(
            app,
            hits_topic=hits,
            by_narrative_topic=by_narrative,
            spikes_topic=spikes_topic,
            settings=settings,
            metrics=metrics,
            index_writer=index,
            dead_letters=DeadLetterWriter(dead_letter_topic, metrics),
        )
        async with processor.agent.test_context() as agent:
            await agent.put(b"not a hit", wait=False)
            for j in range(8):
                hit = make_hit(0.5, author=f"u{j}", severity="critical")
                await agent.put(hit.model_dump_json().encode(), wait=False)
            # the clock event closes minute 0 inside the stream
            await agent.put(Tick(at=at_minute(1)).model_dump_json().encode(), wait=False)
            for _ in range(100):
                if spikes_topic.sent:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
            return dict(app.tables[STATES_TABLE].data.items())

    states = asyncio.run(scenario())
    ((key, message),) = spikes_topic.sent
    spike = Spike.model_validate_json(message)
    assert key == spike.id.encode()
    assert spike.count == 8
    assert indexed == [spike]
    labels = {"narrative": "n-vaccine-chips", "severity": "critical"}
    assert metrics.registry.get_sample_value(f"{SPIKES}_total", labels) == 1
    # the closed window's baseline is in the table without waiting for another hit
    state = states["n-vaccine-chips"]
    assert state["keys"]["n-vaccine-chips"]["baseline"]["mean"] == 8.0
    assert state["closed_through"] == spike.window_start.timestamp() // 60
    ((_key, letter),) = dead_letter_topic.sent
    dead = DeadLetter.model_validate_json(letter)
    assert (dead.reason, dead.source, dead.original()) == ("schema_error", "spikes", b"not a hit")
    assert dead.original_topic == "hits.by-narrative"
    labels = {"reason": "schema_error", "source": "spikes"}
    assert metrics.registry.get_sample_value(f"{DEAD_LETTERED}_total", labels) == 1
