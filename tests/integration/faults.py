"""Helpers of the fault tests: a paced background producer, the worker's RSS, figures.

Figures (time to alert, memory under flood, duplicate rate after SIGKILL) are appended as JSON
lines to the file named by ``NARRMON_FAULT_FIGURES`` when it is set
(`benchmarks/fault_figures.py` sets it and prints them)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.records import Post


def record_figure(name: str, **values: Any) -> None:
    """Append ``{"figure": name, **values}`` to ``$NARRMON_FAULT_FIGURES`` (if set)."""
    target = os.environ.get("NARRMON_FAULT_FIGURES")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"figure": name, **values}) + "\n")


def rss_bytes(pid: int) -> int:
    """Resident set size of `pid` (Linux ``/proc``), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PacedProducer:
    """Sends `make(i)` posts to `topic` every `interval_s` on a thread until `stop`; counts
    what the broker acknowledged and what failed (kafka-python, acks=all)."""

    def __init__(
        self, bootstrap: str, topic: str, make: Callable[[int], Post], interval_s: float
    ) -> None:
        from kafka import KafkaProducer

        self._producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=10)
        self._topic, self._make, self._interval = topic, make, interval_s
        self.sent: list[Post] = []
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> PacedProducer:
        self._thread.start()
        return self

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            post = self._make(i)
            future = self._producer.send(
                self._topic, key=post.id.encode(), value=post.model_dump_json().encode()
            )
            future.add_errback(lambda _exc, pid=post.id: self.failed.append(pid))
            self.sent.append(post)
            i += 1
            self._stop.wait(self._interval)

    def stop(self) -> list[Post]:
        """Stop, flush, close; returns the posts the broker acknowledged."""
        self._stop.set()
        self._thread.join()
        self._producer.flush(60)
        self._producer.close()
        return [p for p in self.sent if p.id not in set(self.failed)]


def wait_until(
    condition: Callable[[], Any], timeout_s: float, what: str, poll_s: float = 0.5
) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def topic_keys(bootstrap: str, topic: str) -> list[bytes | None]:
    """The key of every record on `topic`, read from the beginning to the current end."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        keys: list[bytes | None] = []
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            for records in consumer.poll(timeout_ms=1000).values():
                keys.extend(record.key for record in records)
        return keys
    finally:
        consumer.close()
