"""Faust's livelock check skips a partition that waits for its offset instead of crashing.

Real objects: a `faust.App`'s aiokafka consumer (Faust's own ``verify_event_path``) reading the
partition state of a real, unstarted `aiokafka.AIOKafkaConsumer`. The only stand-in is the
fetcher, through which Faust reads that consumer's subscription; it exists once the consumer
connects to a broker, which a unit test has none of."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.consumer.fetcher import OffsetResetStrategy
from faust.types import TP

from pipeline.runner.event_path_guard import between_positions, guard_event_path

POSTS = TP("posts", 0)


def with_consumer(body: Callable[[Any, Any], None]) -> None:
    """Run ``body(faust_consumer, partition_state)`` with ``posts[0]`` assigned and fetched up to
    offset 5 of 10, as aiokafka leaves it after a fetch."""

    async def run() -> None:
        app = faust.App("event-path-guard-test", broker="kafka://127.0.0.1:1")
        consumer = app.consumer
        aiokafka_consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1", group_id="g")
        subscription = aiokafka_consumer._subscription
        aiokafka_consumer._fetcher = SimpleNamespace(_subscriptions=subscription)
        consumer._thread._consumer = aiokafka_consumer
        consumer._thread.time_started = time.monotonic()
        tp = TopicPartition(POSTS.topic, POSTS.partition)
        subscription.subscribe(topics={POSTS.topic})
        subscription.assign_from_subscribed({tp})
        state = subscription.subscription.assignment.state_value(tp)
        state.seek(5)
        state.highwater = 10
        state.timestamp = time.time() * 1000
        try:
            body(consumer, state)
        finally:
            aiokafka_consumer._fetcher = None
            await aiokafka_consumer.stop()

    asyncio.run(run())


def awaiting_reset(state: Any) -> None:
    """What aiokafka's ``seek_to_beginning`` does to the partition (through its fetcher)."""
    state.await_reset(OffsetResetStrategy.EARLIEST)


def test_faust_crashes_on_a_partition_waiting_for_its_offset_without_the_guard() -> None:
    def body(consumer: Any, state: Any) -> None:
        consumer.verify_event_path(time.monotonic(), POSTS)  # a position: fine
        awaiting_reset(state)
        with pytest.raises(AssertionError):
            consumer.verify_event_path(time.monotonic(), POSTS)

    with_consumer(body)


def test_the_guard_skips_that_partition_and_checks_it_again_once_it_has_a_position() -> None:
    calls: list[TP] = []

    def body(consumer: Any, state: Any) -> None:
        original = consumer.verify_event_path

        def recording(now: float, tp: TP) -> None:
            calls.append(tp)
            original(now, tp)

        consumer.verify_event_path = recording
        guard_event_path(consumer)
        awaiting_reset(state)
        assert between_positions(consumer, POSTS)
        consumer.verify_event_path(time.monotonic(), POSTS)
        assert calls == []
        state.reset_to(0)  # the fetcher found the beginning
        assert not between_positions(consumer, POSTS)
        consumer.verify_event_path(time.monotonic(), POSTS)
        assert calls == [POSTS]

    with_consumer(body)


def test_the_guard_leaves_unassigned_partitions_and_an_unstarted_consumer_to_faust() -> None:
    def body(consumer: Any, state: Any) -> None:
        assert not between_positions(consumer, TP("posts", 1))

    with_consumer(body)
    app = faust.App("event-path-guard-unstarted", broker="kafka://127.0.0.1:1")
    assert not between_positions(app.consumer, POSTS)


def test_guarding_twice_wraps_once() -> None:
    app = faust.App("event-path-guard-twice", broker="kafka://127.0.0.1:1")
    guard_event_path(app.consumer)
    once = app.consumer.verify_event_path
    guard_event_path(app.consumer)
    assert app.consumer.verify_event_path is once
