"""The live runner's logic on an in-memory source and sink: publishing, dead letters, dedupe
after reconnects, limits, checkpoints only after acknowledgement, backoff and Retry-After."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from prometheus_client import CollectorRegistry

from connectors.live.backoff import Backoff, BackoffPolicy
from connectors.live.checkpoint import CheckpointStore
from connectors.live.metrics import FRAMES_READ, RECONNECTS, LiveMetrics
from connectors.live.run_types import RunLimits, RunSummary
from connectors.live.runner import SourceRunner
from connectors.live.source import Filters, RateLimited, SourceDisconnected, SourceRejected
from tests.unit.connectors.live.fakes import MemorySink, ScriptedSource, frame

FAST = {name: BackoffPolicy(initial_s=0.05, max_s=0.1, jitter=0) for name in ("network", "http")}


def run(
    source: ScriptedSource,
    sink: MemorySink,
    *,
    store: CheckpointStore | None = None,
    limits: RunLimits | None = None,
    filters: Filters | None = None,
    metrics: LiveMetrics | None = None,
    policies: dict[str, BackoffPolicy] | None = None,
    stop_after_s: float | None = None,
) -> RunSummary:
    async def main() -> RunSummary:
        stop = asyncio.Event()
        if stop_after_s is not None:
            asyncio.get_running_loop().call_later(stop_after_s, stop.set)
        runner = SourceRunner(
            source,
            sink,
            events_topic="events",
            max_chars=200,
            backoff=Backoff(policies or dict(FAST)),
            store=store,
            filters=filters,
            limits=limits or RunLimits(duration_s=3),
            metrics=metrics,
            checkpoint_every_s=0.05,
        )
        return await runner.run(stop)

    return asyncio.run(main())


def test_posts_are_published_bad_frames_dead_lettered_and_events_sent() -> None:
    source = ScriptedSource(
        [[frame(1), b"{not json", frame(2, text=None), frame(3, delete=True), frame(4)]],
        finite=True,
    )
    sink = MemorySink()
    registry = CollectorRegistry()
    summary = run(source, sink, metrics=LiveMetrics(registry))
    assert [p.id for p in sink.posts] == ["test:1", "test:4"]
    assert [(letter.reason, letter.key) for letter in sink.letters] == [
        ("malformed_json", "scripted#1"),
        ("normalisation_error", "scripted#1"),
    ]
    assert sink.letters[0].original() == b"{not json"
    assert [(topic, key) for topic, key, _ in sink.events] == [("events", "test:3")]
    assert (summary.read, summary.published, summary.dead_lettered, summary.deleted) == (5, 2, 2, 1)
    assert summary.stopped_by == "end"
    assert registry.get_sample_value(f"{FRAMES_READ}_total", {"source": "scripted"}) == 5


def test_a_dropped_connection_reconnects_and_the_overlap_is_published_once() -> None:
    drop = SourceDisconnected("server went away")
    source = ScriptedSource(
        [
            [frame(1), frame(2), b"{bad", drop],
            [frame(2), b"{bad", frame(3), drop],
            [frame(3), frame(4)],
        ],
        finite=True,
    )
    sink = MemorySink()
    registry = CollectorRegistry()
    summary = run(source, sink, metrics=LiveMetrics(registry))
    assert [p.id for p in sink.posts] == ["test:1", "test:2", "test:3", "test:4"]
    assert [letter.reason for letter in sink.letters] == ["malformed_json"]
    assert (summary.reconnects, summary.duplicates) == (2, 3)
    labels = {"source": "scripted", "cause": "SourceDisconnected"}
    assert registry.get_sample_value(f"{RECONNECTS}_total", labels) == 2


def test_a_rate_limit_waits_at_least_retry_after_and_never_spins() -> None:
    source = ScriptedSource([[RateLimited("429", retry_after_s=0.4)], [frame(1)]], finite=True)
    sink = MemorySink()
    started = time.monotonic()
    summary = run(source, sink)
    assert time.monotonic() - started >= 0.4
    assert summary.reconnects == 1 and [p.id for p in sink.posts] == ["test:1"]


def test_empty_connections_back_off_instead_of_spinning() -> None:
    drops: list[list[bytes | Exception]] = [[SourceDisconnected("closed")] for _ in range(100)]
    source = ScriptedSource(drops)
    policies = {"network": BackoffPolicy(initial_s=0.1, max_s=0.2, jitter=0)}
    summary = run(source, MemorySink(), policies=policies, limits=RunLimits(duration_s=0.7))
    assert summary.stopped_by == "duration"
    assert 2 <= summary.reconnects <= 5  # 0.1 + 0.2 + 0.2 ... within 0.7 s


def test_a_rejected_source_ends_the_run_with_an_error() -> None:
    source = ScriptedSource([[frame(1), SourceRejected("HTTP 401")]])
    sink = MemorySink()
    summary = run(source, sink)
    assert summary.error == "rejected: HTTP 401" and summary.stopped_by == "error"
    assert [p.id for p in sink.posts] == ["test:1"]


def test_max_posts_stops_exactly_and_checkpoints_the_last_published_frame(tmp_path: Path) -> None:
    source = ScriptedSource([[frame(n) for n in range(1, 8)]])
    sink = MemorySink()
    store = CheckpointStore(tmp_path, "scripted")
    summary = run(source, sink, store=store, limits=RunLimits(max_posts=3))
    assert summary.stopped_by == "max_posts" and summary.published == 3
    assert store.load() == {"position": 3}
    assert sink.pending == 0 and sink.stats.posts_acked == 3


def test_a_restart_resumes_from_the_checkpoint(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "scripted")
    store.save({"position": 41})
    source = ScriptedSource([[frame(42)]], finite=True)
    run(source, MemorySink(), store=store)
    assert source.resumed_from[0] == 41
    assert store.load() == {"position": 42}


def test_no_checkpoint_is_saved_when_kafka_fails_to_acknowledge(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "scripted")
    store.save({"position": 1})
    source = ScriptedSource([[frame(2), frame(3)]])
    summary = run(source, MemorySink(fail_posts=True), store=store)
    assert summary.error == "Kafka did not acknowledge some records"
    assert store.load() == {"position": 1}


def test_filters_drop_posts_locally() -> None:
    source = ScriptedSource(
        [[frame(1, text="ballot boxes", lang="en"), frame(2, text="ballot", lang="de"),
          frame(3, text="weather", lang="en")]],
        finite=True,
    )  # fmt: skip
    sink = MemorySink()
    summary = run(source, sink, filters=Filters.of(["BALLOT"], ["en"]))
    assert [p.id for p in sink.posts] == ["test:1"] and summary.filtered == 2


def test_a_stop_signal_ends_a_quiet_source_and_saves_the_checkpoint(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "scripted")
    source = ScriptedSource([[frame(5)]])
    started = time.monotonic()
    summary = run(source, MemorySink(), store=store, limits=RunLimits(), stop_after_s=0.3)
    assert summary.stopped_by == "stop" and time.monotonic() - started < 2
    assert store.load() == {"position": 5}
