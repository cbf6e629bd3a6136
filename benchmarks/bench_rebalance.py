"""Processing stall per consumer-group rebalance while workers join and leave a live stream.

A script, not a test: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_rebalance.py`` (needs the
local stack: ``narrmon stack up``). It creates its own topics, group and index (uuid-named) and
deletes them afterwards. Posts are published at a steady rate (every post matches one narrative of
a tiny catalog, so each gives exactly one hit) while the group changes: worker 3 joins a group of
two, then workers 1 and 2 leave (SIGTERM). Then it checks that every post was processed (the
group's committed offsets reach the end of ``posts``) and every hit is in the index exactly once,
and prints, per membership change, the
**stall**: the longest time no hit was matched (the largest gap between consecutive ``matched_at``
of the indexed hits) in the ``--dwell`` seconds after the change, next to the longest gap away
from any change.

With the eager rebalance protocol every member stops consuming during a rebalance, so this gap is
the group's rebalance time as the stream sees it (rejoin, table recovery, and the 2 s seek guard
of `pipeline.runner.seek_guard`). ``tests/integration/test_rebalance.py`` runs the same scenario
with a smaller stream and asserts the stall stays under the group's rebalance timeout.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.records import Author, Post
from pipeline.settings import Settings
from pipeline.worker_process import WorkerProcess

CATALOG = (
    Path(__file__).resolve().parents[1] / "tests" / "unit" / "models" / "fixtures" / "catalog.yaml"
)
TEXT = "The election was stolen, millions of fraudulent ballots were counted"
NARRATIVE = "stolen-election"


@dataclass(frozen=True)
class Change:
    """A membership change: when (epoch seconds) and what."""

    at: float
    what: str


@dataclass(frozen=True)
class Stall:
    change: Change
    stall_s: float


@dataclass
class Outcome:
    posts: list[Post]
    changes: list[Change]
    hits: dict[str, float] = field(default_factory=dict)
    """Indexed hit id -> ``matched_at`` (epoch seconds)."""
    duplicates: int = 0
    posts_lag: float = float("inf")
    """The group's lag on ``posts`` when every hit was indexed (0: every post processed)."""


def gaps(times: Sequence[float]) -> list[tuple[float, float]]:
    """Consecutive (start, end) pairs of the sorted times. Pure."""
    return list(itertools.pairwise(sorted(times)))


def stalls(matched: Sequence[float], changes: Sequence[Change], dwell_s: float) -> list[Stall]:
    """Per change, the longest gap between consecutive matches that overlaps the ``dwell_s``
    seconds after it. Pure."""
    result: list[Stall] = []
    pairs = gaps(matched)
    for change in changes:
        end = change.at + dwell_s
        overlapping = [b - a for a, b in pairs if b > change.at and a < end]
        result.append(Stall(change, max(overlapping, default=0.0)))
    return result


def steady_max_gap(matched: Sequence[float], changes: Sequence[Change], dwell_s: float) -> float:
    """The longest gap between consecutive matches that overlaps no change's ``dwell_s`` window:
    what the stream shows when nothing rebalances. Pure."""
    windows = [(c.at, c.at + dwell_s) for c in changes]
    steady = [
        b - a for a, b in gaps(matched) if not any(b > start and a < end for start, end in windows)
    ]
    return max(steady, default=0.0)


def scenario_settings(base: Settings, state_dir: Path, *, rebalance_timeout_s: float) -> Settings:
    name = f"t-{uuid.uuid4().hex[:10]}"
    return base.model_copy(
        update={
            "topics": base.topics.model_copy(
                update={
                    "posts": f"{name}.posts",
                    "hits": f"{name}.hits",
                    "dead_letter": f"{name}.dlq",
                    "post_events": f"{name}.events",
                    "spikes": f"{name}.spikes",
                    "partitions": 6,
                }
            ),
            "worker": base.worker.model_copy(
                update={
                    "app_id": name,
                    "session_timeout_s": 6.0,
                    "heartbeat_interval_s": 1.0,
                    "rebalance_timeout_s": rebalance_timeout_s,
                    "commit_interval_s": 0.5,
                    "lag_interval_s": 0.5,
                    "batch_size": 8,
                    "batch_within_s": 0.2,
                    "index_batch_within_s": 0.2,
                }
            ),
            "model": base.model.model_copy(update={"threads": 1}),
            "elasticsearch": base.elasticsearch.model_copy(update={"index_prefix": name}),
            "catalog": base.catalog.model_copy(update={"path": CATALOG}),
            "state_dir": state_dir,
        }
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stream:
    """Publishes one post every ``1/rate`` s on a thread until `stop`; keeps what it sent."""

    def __init__(self, settings: Settings, rate: float) -> None:
        from kafka import KafkaProducer

        self._producer = KafkaProducer(bootstrap_servers=settings.kafka.bootstrap, acks="all")
        self._topic = settings.topics.posts
        self._interval = 1.0 / rate
        self._stop = threading.Event()
        self.sent: list[Post] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        n = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            post = Post(
                id=f"rb:{n}",
                platform="x",
                source="rebalance",
                author=Author(id=f"u{n % 50}"),
                text=f"{TEXT} #{n}",
                created_at=datetime.now(UTC),
            )
            self._producer.send(
                self._topic, key=post.id.encode(), value=post.model_dump_json().encode()
            )
            self.sent.append(post)
            n += 1
            next_at += self._interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> list[Post]:
        """Stop publishing (idempotent); returns every post sent, all delivered."""
        if not self._stop.is_set():
            self._stop.set()
            if self._thread.is_alive():
                self._thread.join()
            self._producer.flush()
            self._producer.close()
        return self.sent


def indexed_hits(es: Any, settings: Settings) -> tuple[dict[str, float], int]:
    """Hit id -> matched_at (epoch s) of every indexed hit, and how many ids appeared twice."""
    from elasticsearch.helpers import scan

    from pipeline.elastic.schema.names import hits_alias

    alias = hits_alias(settings)
    es.indices.refresh(index=alias)
    hits: dict[str, float] = {}
    duplicates = 0
    for doc in scan(es, index=alias, query={"query": {"match_all": {}}}, _source=["matched_at"]):
        if doc["_id"] in hits:
            duplicates += 1
        hits[doc["_id"]] = datetime.fromisoformat(doc["_source"]["matched_at"]).timestamp()
    return hits, duplicates


def run_scenario(
    settings: Settings,
    es: Any,
    log_dir: Path,
    *,
    rate: float,
    dwell_s: float,
    say: Callable[[str], None] = print,
) -> Outcome:
    """Workers 1 and 2 start; the stream starts; worker 3 joins (it loads its model while the
    stream runs); then workers 1 and 2 leave (SIGTERM), ``dwell_s`` apart; the stream stops and
    this waits until every post's hit is indexed. Blocking; stops every worker it started.
    Raises `RuntimeError` if the last worker dies or the hits never all arrive."""

    def worker(i: int) -> WorkerProcess:
        port = settings.worker.model_copy(update={"metrics_port": free_port()})
        return WorkerProcess(settings.model_copy(update={"worker": port}), log_dir / f"w{i}.log")

    workers = [worker(i + 1) for i in range(3)]
    changes: list[Change] = []
    stream = Stream(settings, rate)
    try:
        for w in workers[:2]:
            w.start()
        for w in workers[:2]:
            w.wait_ready(timeout_s=240)
        stream.start()
        workers[2].start()  # loads the model first: joins the group once /metrics answers
        workers[2].wait_ready(timeout_s=240)
        changes.append(Change(time.time(), "worker 3 joins"))
        say("  worker 3 joined")
        time.sleep(dwell_s)
        for i in (0, 1):
            changes.append(Change(time.time(), f"worker {i + 1} leaves"))
            workers[i].stop()
            say(f"  worker {i + 1} left")
            time.sleep(dwell_s)
        posts = stream.stop()
        expected = {f"{p.id}:{NARRATIVE}" for p in posts}
        deadline = time.monotonic() + 120
        while True:
            last = workers[2].proc
            if last is None or last.poll() is not None:
                raise RuntimeError(
                    f"the last worker died (exit {None if last is None else last.returncode}); "
                    f"{workers[2].log_path}:\n{workers[2].death_report()}"
                )
            hits, duplicates = indexed_hits(es, settings)
            lag = posts_lag(workers[2], settings)
            if set(hits) >= expected and lag == 0:
                return Outcome(posts, changes, hits, duplicates, lag)
            if time.monotonic() > deadline:
                missing = len(expected - set(hits))
                raise RuntimeError(f"{missing} hits never indexed, posts lag {lag}")
            time.sleep(1.0)
    finally:
        stream.stop()
        for w in workers:
            w.stop()


def posts_lag(worker: WorkerProcess, settings: Settings) -> float:
    """The summed ``posts`` lag `worker` reports, inf unless it reports every partition."""
    samples = worker.scrape() or {}
    lags = [
        v
        for (name, labels), v in samples.items()
        if name == "narrmon_consumer_lag" and dict(labels).get("topic") == settings.topics.posts
    ]
    return sum(lags) if len(lags) == settings.topics.partitions else float("inf")


def cleanup(es: Any, settings: Settings) -> None:
    from kafka.admin import KafkaAdminClient

    prefix = settings.elasticsearch.index_prefix
    es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}*")
    es.options(ignore_status=404).indices.delete(index=f"{prefix}-*", expand_wildcards="all")
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap)
    try:
        names = [t for t in admin.list_topics() if t.startswith(settings.worker.app_id)]
        if names:
            admin.delete_topics(names)
    finally:
        admin.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="posts per second")
    parser.add_argument("--dwell", type=float, default=20.0, help="seconds between changes")
    parser.add_argument("--rebalance-timeout", type=float, default=15.0)
    args = parser.parse_args(argv)

    import tempfile

    from elasticsearch import Elasticsearch

    base = Settings.load()
    es = Elasticsearch(base.elasticsearch.endpoint, request_timeout=30)
    with tempfile.TemporaryDirectory(prefix="narrmon-rebalance-") as tmp:
        settings = scenario_settings(
            base, Path(tmp) / "state", rebalance_timeout_s=args.rebalance_timeout
        )
        print(
            f"group {settings.worker.app_id}: {args.rate:g} posts/s, changes {args.dwell:g} s apart"
        )
        try:
            outcome = run_scenario(settings, es, Path(tmp), rate=args.rate, dwell_s=args.dwell)
        finally:
            cleanup(es, settings)
    matched = list(outcome.hits.values())
    w = settings.worker
    print(f"posts published {len(outcome.posts)}, posts lag at the end {outcome.posts_lag:g}")
    print(f"hits indexed {len(outcome.hits)}, ids indexed twice {outcome.duplicates}")
    print(
        f"session timeout {w.session_timeout_s:g} s, heartbeat {w.heartbeat_interval_s:g} s, "
        f"rebalance timeout {w.rebalance_timeout_s:g} s"
    )
    steady = steady_max_gap(matched, outcome.changes, args.dwell)
    print(f"longest gap between matches away from any change: {steady:.2f} s")
    print(f"{'change':<20} {'stall_s':>8}")
    for stall in stalls(matched, outcome.changes, args.dwell):
        print(f"{stall.change.what:<20} {stall.stall_s:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
