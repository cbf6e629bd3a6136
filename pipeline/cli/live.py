"""Glue shared by ``narrmon connect`` and ``narrmon connectors run``: settings to Kafka topics,
metrics endpoint, signal handling, running sources on one event loop.

SIGTERM and SIGINT set a stop event: every source stops reading, the producer is flushed, the
checkpoint saved, and the command exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from connectors.live.backoff import BackoffPolicy
    from connectors.live.service import KafkaTarget
    from pipeline.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class CommonOptions:
    """The options every live source takes (``narrmon connect --help``)."""

    source: str | None
    max_posts: int | None
    duration: float | None
    as_json: bool
    metrics_port: int | None
    register_with: Path | None
    keywords: tuple[str, ...]
    languages: tuple[str, ...]
    accounts: tuple[str, ...]
    topic: str | None
    dead_letter_topic: str | None
    events_topic: str | None
    checkpoint: bool
    reconnect_min: float | None
    reconnect_max: float | None
    create_topics: bool


def fail(command: str, message: str) -> NoReturn:
    click.echo(f"narrmon {command}: {message}", err=True)
    sys.exit(1)


def kafka_target(settings: Settings, options: CommonOptions) -> KafkaTarget:
    from connectors.live.service import KafkaTarget

    return KafkaTarget(
        bootstrap=settings.kafka.bootstrap,
        posts_topic=options.topic or settings.topics.posts,
        dead_letter_topic=options.dead_letter_topic or settings.topics.dead_letter,
        events_topic=options.events_topic or settings.topics.post_events,
    )


def prepare_topics(command: str, settings: Settings, target: KafkaTarget) -> None:
    """Create the three topics if missing (exits 1 when Kafka cannot be reached)."""
    from connectors.topics import TopicSetupError, ensure_topics

    if logging.getLogger().getEffectiveLevel() >= logging.WARNING:
        # kafka-python logs every refused connection at ERROR; our one-line message suffices.
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
    topics = [target.posts_topic, target.dead_letter_topic, target.events_topic]
    try:
        ensure_topics(
            target.bootstrap, topics, settings.topics.partitions, settings.topics.replication
        )
    except TopicSetupError as exc:
        fail(command, str(exc))


def backoff_policies(options: CommonOptions, source: object) -> dict[str, BackoffPolicy]:
    """The source's own reconnect policies (X documents its own), else the defaults; scaled to
    ``--reconnect-min``/``--reconnect-max`` when given."""
    from connectors.live.backoff import DEFAULT_POLICIES, scaled

    policies = dict(getattr(source, "backoff_policies", DEFAULT_POLICIES))
    if options.reconnect_min is None and options.reconnect_max is None:
        return policies
    low = options.reconnect_min or 1.0
    return scaled(policies, low, options.reconnect_max or max(low, 60.0))


def checkpoint_dir(settings: Settings) -> Path:
    return settings.state_dir / "connectors"


def run_until_stopped(main: Callable[[asyncio.Event], Awaitable[T]]) -> T:
    """Run ``main(stop)`` on a fresh event loop; SIGTERM/SIGINT set `stop`."""

    async def runner() -> T:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            return await main(stop)
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)

    return asyncio.run(runner())


def print_summary(result: dict[str, Any]) -> None:
    click.echo(
        f"{result['source']}: read {result['read']} frames in {result['elapsed_s']:.1f}s, "
        f"published {result['published']} posts to {result['topic']}, dead-lettered "
        f"{result['dead_lettered']}, reconnects {result['reconnects']} "
        f"(stopped by {result['stopped_by']})"
    )
    if result["deleted"] or result["edited"]:
        click.echo(
            f"  post events to {result['events_topic']}: deleted {result['deleted']}, "
            f"edited {result['edited']}"
        )
    if result["error"]:
        click.echo(f"  ERROR: {result['error']}", err=True)
