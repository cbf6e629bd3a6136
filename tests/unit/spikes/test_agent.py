"""The Faust glue, run with `agent.test_context()` (no broker): hits in, a spike out through the
spikes topic's ``send``, a record that is not a hit out through the dead-letter writer (both
recorded here: the broker-backed sends are covered by the e2e test)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from prometheus_client import CollectorRegistry

from models.records import DeadLetter
from pipeline.metrics import DEAD_LETTERED, SPIKES, Metrics
from pipeline.runner import DeadLetterWriter
from pipeline.settings import Settings, SpikeSettings
from pipeline.spikes.agent import register
from pipeline.spikes.records import Spike
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
    settings = Settings(spikes=SpikeSettings(grace_s=0, warmup_min=0, by_platform=False))
    metrics = Metrics(CollectorRegistry())
    indexed: list[Spike] = []

    async def index(spike: Spike) -> None:
        indexed.append(spike)

    dead_letter_topic = RecordingTopic()

    async def scenario() -> tuple[list[Spike], bytes, dict[str, Any]]:
        app = faust.App("test-spikes", store="memory://", value_serializer="raw")
        hits = app.topic("hits", value_type=bytes, value_serializer="raw")
        spikes_topic = RecordingTopic()
        dead_letters = DeadLetterWriter(dead_letter_topic, metrics)
        processor = register(
            app, hits, spikes_topic, settings, metrics, index, dead_letters=dead_letters
        )
        async with processor.agent.test_context() as agent:
            await agent.put(b"not a hit")
            for j in range(8):
                hit = make_hit(0.5, author=f"u{j}", severity="critical")
                await agent.put(hit.model_dump_json().encode())
            found = await processor.tick(at_minute(1))
            ((key, message),) = spikes_topic.sent
            assert key == found[0].id.encode()
            # the timer's baseline update reaches the changelog table with the next hit event
            await agent.put(make_hit(1.5, severity="critical").model_dump_json().encode())
            baselines = dict(app.tables["spike-baselines"].items())
        return found, message, baselines

    found, message, baselines = asyncio.run(scenario())
    assert [s.count for s in found] == [8]
    assert Spike.model_validate_json(message).id == found[0].id
    assert indexed == found
    labels = {"narrative": "n-vaccine-chips", "severity": "critical"}
    assert metrics.registry.get_sample_value(f"{SPIKES}_total", labels) == 1
    assert baselines["n-vaccine-chips"]["mean"] == 8.0
    ((_key, letter),) = dead_letter_topic.sent
    dead = DeadLetter.model_validate_json(letter)
    assert (dead.reason, dead.source, dead.original()) == ("schema_error", "spikes", b"not a hit")
    assert dead.original_topic == "hits"
    labels = {"reason": "schema_error", "source": "spikes"}
    assert metrics.registry.get_sample_value(f"{DEAD_LETTERED}_total", labels) == 1
