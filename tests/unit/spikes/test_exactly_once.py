"""Counting each hit once across redelivery, and state that survives a crash: the spike step
over `Record`s as the batch runner hands them (no broker)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from models.dead_letters import RecordOrigin
from models.records import Hit
from pipeline.metrics import NARRATIVE_RATE, SPIKE_HITS, Metrics
from pipeline.runner import Record
from pipeline.settings import SpikeSettings
from pipeline.spikes.detector import SpikeDetector
from pipeline.spikes.processor import SpikeInput, SpikeProcessor
from pipeline.spikes.records import Spike, Tick
from pipeline.spikes.repartition import repartition_step, slim
from pipeline.spikes.state import NarrativeState
from tests.unit.spikes.conftest import HitFactory, at_minute

SETTINGS = SpikeSettings(grace_s=0, warmup_min=0, by_platform=False)
TOPIC = "hits.by-narrative"


def record(value: SpikeInput, partition: int, offset: int) -> Record[SpikeInput]:
    raw = value.model_dump_json().encode()
    return Record(value, raw, RecordOrigin(topic=TOPIC, partition=partition, offset=offset))


def tick(at: datetime, partition: int, offset: int) -> Record[SpikeInput]:
    return record(Tick(at=at), partition, offset)


def burst(make_hit: HitFactory, n: int, *, narrative: str = "n-vaccine-chips") -> list[Hit]:
    return [
        make_hit(0.5, author=f"u{j}", narrative=narrative, severity="critical") for j in range(n)
    ]


class Harness:
    """A processor over a dict store, publishing into a list (or failing, like a crash)."""

    def __init__(self, store: dict[str, dict[str, Any]] | None = None) -> None:
        self.store: dict[str, dict[str, Any]] = store if store is not None else {}
        self.published: list[Spike] = []
        self.fail_publish = False
        self.metrics = Metrics(CollectorRegistry())
        self.processor = SpikeProcessor(SETTINGS, self.metrics, self.publish, None, self.store)

    async def publish(self, spike: Spike) -> None:
        if self.fail_publish:
            raise ConnectionError("broker gone")
        self.published.append(spike)

    def step(self, batch: Sequence[Record[SpikeInput]]) -> None:
        asyncio.run(self.processor(batch))

    def counted(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(f"{SPIKE_HITS}_total", {"outcome": outcome})
        return value or 0.0


def test_a_redelivered_batch_is_counted_once(make_hit: HitFactory) -> None:
    h = Harness()
    batch = [record(hit, 2, i) for i, hit in enumerate(burst(make_hit, 6))]
    h.step(batch)
    h.step(batch)  # the runner's batch read again after a restart (same offsets)
    h.step([tick(at_minute(1), 2, 6)])
    (spike,) = h.published
    assert spike.count == 6
    assert (h.counted("counted"), h.counted("duplicate")) == (6, 6)


def test_a_hit_sent_twice_upstream_is_counted_once(make_hit: HitFactory) -> None:
    h = Harness()
    hits = burst(make_hit, 6)
    # the repartition step re-sent the first three after its own restart: new offsets
    h.step([record(hit, 0, i) for i, hit in enumerate(hits + hits[:3])])
    h.step([tick(at_minute(1), 0, 9)])
    assert [s.count for s in h.published] == [6]


def test_dedupe_by_hit_id_is_bounded(make_hit: HitFactory) -> None:
    h = Harness()
    h.processor.detector = SpikeDetector(SETTINGS.model_copy(update={"dedupe_hits": 2}), h.store)
    hits = burst(make_hit, 3)
    h.step([record(hit, 0, i) for i, hit in enumerate(hits + hits[:1])])
    state = NarrativeState.from_dict(h.store["n-vaccine-chips"])
    # the first id was forgotten when the third was remembered: the bound is the guarantee
    assert h.counted("counted") == 4
    assert state.recent == [hits[2].id, hits[0].id]


def test_a_tick_closes_only_its_partitions_narratives(make_hit: HitFactory) -> None:
    h = Harness()
    a = burst(make_hit, 5, narrative="n-a")
    b = burst(make_hit, 5, narrative="n-b")
    h.step([record(x, 0, i) for i, x in enumerate(a)] + [record(x, 1, i) for i, x in enumerate(b)])
    h.step([tick(at_minute(1), 1, 5)])
    assert [s.narrative_id for s in h.published] == ["n-b"]
    assert h.store["n-a"]["closed_through"] is None
    h.step([tick(at_minute(1), 0, 5)])
    assert [s.narrative_id for s in h.published] == ["n-b", "n-a"]


def test_a_crash_before_the_spike_is_delivered_closes_the_window_again(
    make_hit: HitFactory,
) -> None:
    h = Harness()
    h.step([record(hit, 0, i) for i, hit in enumerate(burst(make_hit, 6))])
    h.fail_publish = True
    with pytest.raises(ConnectionError):
        h.step([tick(at_minute(1), 0, 6)])
    # nothing of the failed batch reached the store: the window is still open there
    assert h.store["n-vaccine-chips"]["closed_through"] is None
    restarted = Harness(h.store)  # a new owner restores the same state
    restarted.step([tick(at_minute(1), 0, 6)])
    (spike,) = restarted.published
    assert spike.count == 6
    restarted.step([tick(at_minute(1), 0, 7)])  # a tick read twice closes nothing twice
    assert len(restarted.published) == 1


def test_state_is_plain_json_and_round_trips(make_hit: HitFactory) -> None:
    h = Harness()
    hits = [*burst(make_hit, 4), make_hit(1.5, author="late", severity="critical")]
    h.step([record(hit, 3, 10 + i) for i, hit in enumerate(hits)])
    stored = json.loads(json.dumps(h.store["n-vaccine-chips"]))
    state = NarrativeState.from_dict(stored)
    assert NarrativeState.from_dict(state.to_dict()) == state
    assert (state.partition, state.offset) == (3, 14)
    windows = state.keys["n-vaccine-chips"].open
    assert sorted(w.count for w in windows.values()) == [1, 4]
    window = max(windows.values(), key=lambda w: w.count)
    assert len(window.best_examples()) == 4


def test_gauges_of_revoked_partitions_are_dropped(make_hit: HitFactory) -> None:
    h = Harness()
    h.step([record(hit, 4, i) for i, hit in enumerate(burst(make_hit, 5))])
    h.step([tick(at_minute(1), 4, 5)])
    labels = {"narrative": "n-vaccine-chips", "severity": "critical"}
    assert h.metrics.registry.get_sample_value(NARRATIVE_RATE, labels) == 5
    h.processor.release([4])
    assert h.metrics.registry.get_sample_value(NARRATIVE_RATE, labels) is None


def test_repartition_keys_hits_by_narrative_without_the_embedding(make_hit: HitFactory) -> None:
    hit = make_hit(0.5).model_copy(update={"embedding": [0.1] * 4})
    origin = RecordOrigin(topic="hits", partition=0, offset=0)
    result = asyncio.run(repartition_step([Record(hit, b"", origin)]))
    (output,) = result.outputs
    assert output.key == b"n-vaccine-chips"
    copy = Hit.model_validate_json(output.value)
    assert copy.embedding is None
    assert copy == slim(hit)
    assert copy.id == hit.id
