"""The spike timer's round (`Ticker.tick`): ticks to the partitions this worker owns, gauges of
partitions that left released, and a send that fails (the broker away) never raises out of the
timer, which would stop the worker."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest

from pipeline.spikes.agent import TICK_KEY, Ticker
from pipeline.spikes.records import Tick


@dataclass(frozen=True)
class TP:
    topic: str
    partition: int


@dataclass
class FakeConsumer:
    owned: set[TP] = field(default_factory=set)

    def assignment(self) -> set[TP]:
        return set(self.owned)


@dataclass
class FakeApp:
    consumer: FakeConsumer = field(default_factory=FakeConsumer)


@dataclass
class FakeTopic:
    fail_on: set[int] = field(default_factory=set)
    sent: list[tuple[bytes, bytes, int]] = field(default_factory=list)

    def get_topic_name(self) -> str:
        return "hits.by-narrative"

    async def send(self, *, key: bytes, value: bytes, partition: int) -> None:
        if partition in self.fail_on:
            raise RuntimeError("ProducerSendError: broker away")
        self.sent.append((key, value, partition))


@dataclass
class FakeProcessor:
    released: list[set[int]] = field(default_factory=list)

    def release(self, partitions: Any) -> None:
        self.released.append(set(partitions))


def _ticker(owned: set[int], fail_on: set[int] | None = None) -> tuple[Ticker, Any, Any, Any]:
    app = FakeApp(FakeConsumer({TP("hits.by-narrative", p) for p in owned} | {TP("posts", 0)}))
    topic = FakeTopic(fail_on=fail_on or set())
    processor = FakeProcessor()
    return Ticker(app, topic, processor), app, topic, processor  # type: ignore[arg-type]


def test_a_tick_goes_to_each_owned_partition_of_the_narrative_topic_only() -> None:
    ticker, _, topic, _ = _ticker({2, 0})
    asyncio.run(ticker.tick())
    assert [(key, partition) for key, _, partition in topic.sent] == [(TICK_KEY, 0), (TICK_KEY, 2)]
    Tick.model_validate_json(topic.sent[0][1])


def test_partitions_that_left_the_worker_are_released() -> None:
    ticker, app, _, processor = _ticker({0, 1, 2})
    asyncio.run(ticker.tick())
    app.consumer.owned = {TP("hits.by-narrative", 1)}
    asyncio.run(ticker.tick())
    assert processor.released == [set(), {0, 2}]


def test_a_failed_send_is_logged_and_the_next_round_sends_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticker, _, topic, _ = _ticker({0, 1}, fail_on={0})
    with caplog.at_level(logging.WARNING, logger="pipeline.spikes.agent"):
        asyncio.run(ticker.tick())  # must not raise
    assert topic.sent == []
    assert "spike ticks not sent" in caplog.text
    topic.fail_on.clear()
    asyncio.run(ticker.tick())
    assert [partition for _, _, partition in topic.sent] == [0, 1]
