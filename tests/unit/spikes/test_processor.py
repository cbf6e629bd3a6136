"""The agent's logic without Faust: parsing, gauges, counter, publish and index of spikes."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from models.errors import InvalidRecord
from pipeline.elastic.alerts import spike_document
from pipeline.metrics import NARRATIVE_BASELINE, NARRATIVE_RATE, SPIKES, Metrics
from pipeline.settings import SpikeSettings
from pipeline.spikes.processor import SpikeProcessor, parse_spike_input
from pipeline.spikes.records import Spike
from tests.unit.spikes.conftest import HitFactory, at_minute

SETTINGS = SpikeSettings(grace_s=0, warmup_min=2)


def test_burst_is_published_indexed_and_counted(make_hit: HitFactory) -> None:
    metrics = Metrics(CollectorRegistry())
    published: list[Spike] = []
    indexed: list[Spike] = []

    async def publish(spike: Spike) -> None:
        published.append(spike)

    async def index(spike: Spike) -> None:
        indexed.append(spike)

    processor = SpikeProcessor(SETTINGS, metrics, publish, index)
    labels = {"narrative": "n-vaccine-chips", "severity": "critical"}

    async def scenario() -> list[Spike]:
        found: list[Spike] = []
        for minute in range(3):
            processor.on_hit(make_hit(minute + 0.5, severity="critical"))
            found += await processor.tick(at_minute(minute + 1))
        # the counter series exists at 0 before the spike, so Prometheus sees it move
        assert metrics.registry.get_sample_value(f"{SPIKES}_total", labels) == 0
        for j in range(12):
            hit = make_hit(3.5, author=f"u{j}", severity="critical")
            processor.on_hit(hit)
        found += await processor.tick(at_minute(4))
        return found

    found = asyncio.run(scenario())
    assert len(found) == 2  # narrative, and narrative x platform
    assert published == found
    assert indexed == found
    assert metrics.registry.get_sample_value(f"{SPIKES}_total", labels) == 1
    assert metrics.registry.get_sample_value(NARRATIVE_RATE, labels) == 12
    assert metrics.registry.get_sample_value(NARRATIVE_BASELINE, labels) == 1.0
    document = spike_document(found[0])
    assert document["kind"] == "spike"
    assert document["window_start"].startswith("2025-03-01T12:03:00")


def test_records_that_are_neither_hits_nor_ticks_are_refused() -> None:
    for raw in (b"{not json", b'{"id": "x"}', b'{"kind":"tick","at":"yesterday"}'):
        with pytest.raises(InvalidRecord) as caught:
            parse_spike_input(raw)
        assert caught.value.reason == "schema_error"


def test_index_failure_does_not_stop_publishing(make_hit: HitFactory) -> None:
    published: list[Spike] = []

    async def publish(spike: Spike) -> None:
        published.append(spike)

    async def broken_index(spike: Spike) -> None:
        raise ConnectionError("es down")

    processor = SpikeProcessor(
        SETTINGS.model_copy(update={"warmup_min": 0, "by_platform": False}),
        Metrics(CollectorRegistry()),
        publish,
        broken_index,
    )
    for j in range(10):
        processor.on_hit(make_hit(0.5, author=f"u{j}", severity="critical"))
    assert len(asyncio.run(processor.tick(at_minute(1)))) == 1
    assert len(published) == 1
