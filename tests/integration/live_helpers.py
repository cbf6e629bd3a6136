"""Helpers of the live-source integration tests: topics, the ``narrmon connect`` subprocess,
reading topics back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CLI = [sys.executable, "-c", "from pipeline.cli import main; main()"]


@dataclass(frozen=True)
class LiveTopics:
    posts: str
    dead_letters: str
    events: str

    def options(self) -> list[str]:
        return [
            "--topic", self.posts,
            "--dead-letter-topic", self.dead_letters,
            "--events-topic", self.events,
        ]  # fmt: skip


@pytest.fixture
def live_topics(kafka_bootstrap: str, unique_name: str) -> Iterator[LiveTopics]:
    topics = LiveTopics(unique_name, f"{unique_name}.dlq", f"{unique_name}.events")
    yield topics
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        names = [topics.posts, topics.dead_letters, topics.events]
        admin.delete_topics([n for n in names if n in set(admin.list_topics())])
    finally:
        admin.close()


def connect_env(state_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["NARRMON_STATE_DIR"] = str(state_dir)
    env["NARRMON_TOPICS__PARTITIONS"] = "2"
    return env


def run_connect(args: list[str], state_dir: Path, timeout_s: float = 60) -> dict[str, Any]:
    """Run ``narrmon connect ARGS --json`` to the end; its JSON summary (asserts exit 0)."""
    done = subprocess.run(
        [*CLI, "connect", *args, "--json"],
        env=connect_env(state_dir),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def start_connect(args: list[str], state_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "connect", *args, "--json"],
        env=connect_env(state_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_topic(bootstrap: str, topic: str, timeout_s: float = 5.0) -> list[Any]:
    """Every record on `topic` (from the beginning), stopping after `timeout_s` of silence."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    try:
        return list(consumer)
    finally:
        consumer.close()
