"""The worker against real Kafka and Elasticsearch: exact hits, dead letters, metrics, SIGKILL.

Each scenario gets its own topics, consumer group, index prefix and metrics port; the expected
hits are computed by calling the matcher directly on the same texts.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from models.dead_letters import DeadLetter
from models.matching.query import claim_read_date
from models.records import Post
from pipeline.agents.hits import build_hits
from pipeline.settings import Settings
from pipeline.worker_process import Samples, WorkerProcess, total

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CATALOG = Path(__file__).parents[1] / "unit" / "models" / "fixtures" / "catalog.yaml"
TEXTS = [
    "The election was stolen, millions of fraudulent ballots were counted",
    "Dead people voted and rigged the election, wake up",
    "Voting machines secretly switched votes from one candidate to the other machine",
    "Audits and recounts found no evidence of fraud that changed the election result",
    "Lovely weather in the park today, the ducks are out",
    "Anyone know a good recipe for pumpkin soup?",
    "They rigged it. Fraudulent ballots everywhere, the election was stolen",
    "The new phone battery lasts two days",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scenario_settings(base: Settings, tmp: Path) -> Settings:
    name = f"t-{uuid.uuid4().hex[:10]}"
    return base.model_copy(
        update={
            "topics": base.topics.model_copy(
                update={
                    "posts": f"{name}.posts",
                    "hits": f"{name}.hits",
                    "dead_letter": f"{name}.dlq",
                    "post_events": f"{name}.events",
                    "partitions": 3,
                }
            ),
            "worker": base.worker.model_copy(
                update={
                    "app_id": name,
                    "metrics_port": _free_port(),
                    "session_timeout_s": 6.0,
                    "heartbeat_interval_s": 1.0,
                    "commit_interval_s": 0.5,
                    "lag_interval_s": 0.5,
                    "batch_size": 8,
                    "max_post_chars": 2000,
                }
            ),
            "elasticsearch": base.elasticsearch.model_copy(update={"index_prefix": name}),
            "catalog": base.catalog.model_copy(update={"path": CATALOG}),
            "state_dir": tmp / "state",
        }
    )


def make_posts(count: int, prefix: str) -> list[Post]:
    now = datetime.now(UTC)
    return [
        Post(
            id=f"it:{prefix}-{i}",
            platform=("x", "bluesky")[i % 2],
            source="it",
            text=f"{TEXTS[i % len(TEXTS)]} #{i}",
            created_at=now,
        )
        for i in range(count)
    ]


def produce(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes]]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for key, value in records:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def post_records(posts: list[Post]) -> list[tuple[bytes | None, bytes]]:
    return [(p.id.encode(), p.model_dump_json().encode()) for p in posts]


@pytest.fixture(scope="module")
def matcher(stack: Settings) -> Any:
    from pipeline.agents.matcher import load_matcher

    # the worker's own loader: same configuration, embedding backend and catalog
    m = load_matcher(
        stack.model_copy(update={"catalog": stack.catalog.model_copy(update={"path": CATALOG})})
    )
    m.warm_up()
    return m


def expected_hit_ids(matcher: Any, posts: list[Post]) -> set[str]:
    """The hit ids the worker should index for `posts`, dating each as the worker does."""
    dates = [claim_read_date(p.text, p.created_at.date()) for p in posts]
    results = matcher.match([p.text for p in posts], dates=dates)
    return {h.id for mp in build_hits(posts, results) for h in mp.hits}


def index_ids(es: Any, settings: Settings) -> list[str]:
    from elasticsearch.helpers import scan

    from pipeline.elastic.schema.names import hits_alias

    alias = hits_alias(settings)
    es.indices.refresh(index=alias)
    return [
        d["_id"] for d in scan(es, index=alias, query={"query": {"match_all": {}}}, _source=False)
    ]


def wait_for(worker: WorkerProcess, done: Any, timeout_s: float = 180.0) -> Samples:
    deadline = time.monotonic() + timeout_s
    samples: Samples | None = None
    while time.monotonic() < deadline:
        assert worker.proc is not None and worker.proc.poll() is None, worker.death_report()
        samples = worker.scrape()
        if samples is not None and done(samples):
            return samples
        time.sleep(0.3)
    worker.dump_stacks()  # diagnostics: the worker logs where every task and thread waits
    raise AssertionError(
        f"timed out; last samples {samples}; log (stacks at its end) {worker.log_path}"
    )


def read_topic(bootstrap: str, topic: str, expected: int, timeout_s: float = 30.0) -> list[bytes]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=2000
    )
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while len(values) < expected and time.monotonic() < deadline:
        values.extend(message.value for message in consumer)
    consumer.close()
    return values


def cleanup(es: Any, settings: Settings, bootstrap: str) -> None:
    from kafka.admin import KafkaAdminClient

    prefix = settings.elasticsearch.index_prefix
    es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}*")
    es.options(ignore_status=404).indices.delete(index=f"{prefix}-*", expand_wildcards="all")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        names = [t for t in admin.list_topics() if t.startswith(settings.worker.app_id)]
        if names:
            admin.delete_topics(names)
    finally:
        admin.close()


@dataclass
class Replayed:
    settings: Settings
    posts: list[Post]
    bad: dict[str, bytes]
    samples: Samples
    dead_letters: list[DeadLetter]
    index_ids: list[str]


BAD_RECORDS = {
    "malformed_json": b'{"id": "it:bad-json", "text": ',
    "missing_text": json.dumps(
        {"id": "it:no-text", "platform": "x", "source": "it", "created_at": "2024-11-06T00:00:00Z"}
    ).encode(),
    "schema_error": json.dumps(
        {"id": 17, "platform": "x", "source": "it", "text": "x", "created_at": "2024-11-06"}
    ).encode(),
    "invalid_utf8": b'{"id": "it:utf", "text": "\xff\xfe"}',
    "oversized": json.dumps(
        {
            "id": "it:big",
            "platform": "x",
            "source": "it",
            "text": "word " * 1000,
            "created_at": "2024-11-06T00:00:00Z",
        }
    ).encode(),
}


@pytest.fixture(scope="module")
def replayed(
    stack: Settings, es: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replayed]:
    settings = scenario_settings(stack, tmp_path_factory.mktemp("replay"))
    bootstrap = settings.kafka.bootstrap
    posts = make_posts(24, "r")
    good = post_records(posts)
    bad = [(f"bad-{reason}".encode(), raw) for reason, raw in BAD_RECORDS.items()]
    # bad records interleaved with good ones, so good posts share batches with them
    records = [r for pair in zip(good[: len(bad)], bad, strict=True) for r in pair] + good[
        len(bad) :
    ]
    worker = WorkerProcess(settings, settings.state_dir / "worker.log")
    try:
        worker.start()
        worker.wait_ready()
        produce(bootstrap, settings.topics.posts, records)
        samples = wait_for(
            worker,
            lambda s: (
                total(s, "narrmon_posts_consumed_total") >= len(records)
                and total(s, "narrmon_hits_indexed_total") >= total(s, "narrmon_hits_total")
                and total(s, "narrmon_posts_processed_total") >= len(posts)
            ),
        )
        letters = [
            DeadLetter.model_validate_json(v)
            for v in read_topic(bootstrap, settings.topics.dead_letter, len(bad))
        ]
        yield Replayed(
            settings, posts, dict(BAD_RECORDS), samples, letters, index_ids(es, settings)
        )
    finally:
        worker.stop()
        cleanup(es, settings, bootstrap)


def test_replay_indexes_exactly_the_expected_hits_once(replayed: Replayed, matcher: Any) -> None:
    expected = expected_hit_ids(matcher, replayed.posts)
    assert expected, "the fixture texts must produce hits"
    assert sorted(replayed.index_ids) == sorted(expected)
    assert len(set(replayed.index_ids)) == len(replayed.index_ids)


def test_bad_records_land_in_the_dlq_with_their_reason(replayed: Replayed) -> None:
    by_reason = {letter.reason: letter for letter in replayed.dead_letters}
    assert sorted(by_reason) == sorted(replayed.bad)
    for reason, letter in by_reason.items():
        assert letter.original() == replayed.bad[reason]
        assert letter.original_topic == replayed.settings.topics.posts
        assert letter.key == f"bad-{reason}"


def test_metrics_equal_what_was_sent(replayed: Replayed, matcher: Any) -> None:
    s = replayed.samples
    n_posts, n_bad = len(replayed.posts), len(replayed.bad)
    expected_hits = len(expected_hit_ids(matcher, replayed.posts))
    assert total(s, "narrmon_posts_consumed_total") == n_posts + n_bad
    assert total(s, "narrmon_posts_consumed_total", platform="x") == n_posts / 2
    assert total(s, "narrmon_posts_processed_total") == n_posts
    assert total(s, "narrmon_hits_total") == expected_hits
    assert total(s, "narrmon_hits_indexed_total") == expected_hits
    assert total(s, "narrmon_end_to_end_seconds_count") == expected_hits
    assert total(s, "narrmon_dead_lettered_total") == n_bad
    for reason in replayed.bad:
        assert total(s, "narrmon_dead_lettered_total", reason=reason) == 1
    assert total(s, "narrmon_catalog_narratives") >= 1


def test_sigkill_mid_stream_loses_nothing_and_duplicates_nothing(
    stack: Settings, es: Any, matcher: Any, tmp_path: Path
) -> None:
    settings = scenario_settings(stack, tmp_path)
    bootstrap = settings.kafka.bootstrap
    posts = make_posts(160, "k")
    worker = WorkerProcess(settings, tmp_path / "worker-1.log")
    try:
        worker.start()
        worker.wait_ready()
        produce(bootstrap, settings.topics.posts, post_records(posts))
        at_kill = wait_for(worker, lambda s: total(s, "narrmon_posts_processed_total") >= 40)
        worker.kill()
        assert total(at_kill, "narrmon_posts_processed_total") < len(posts), "killed too late"

        restarted = WorkerProcess(settings, tmp_path / "worker-2.log")
        worker = restarted
        restarted.start()
        restarted.wait_ready()
        expected = expected_hit_ids(matcher, posts)

        def all_indexed(_: Samples) -> bool:
            return len(set(index_ids(es, settings))) >= len(expected)

        wait_for(restarted, all_indexed, timeout_s=240)
        ids = index_ids(es, settings)
        assert sorted(ids) == sorted(expected)
        # every post processed: the group's committed offsets reach the end of the posts topic
        wait_for(restarted, lambda s: _posts_lag(s, settings) == 0, timeout_s=60)
        # Redelivery after the kill re-sends some hits to the hits topic (the index upserts
        # them): count hit records against distinct hits and report the duplicate rate.
        from tests.integration.faults import record_figure, topic_keys

        keys = topic_keys(bootstrap, settings.topics.hits)
        distinct = {key.decode() for key in keys if key is not None}
        assert distinct == expected
        duplicates = len(keys) - len(distinct)
        record_figure(
            "duplicate_rate_after_sigkill",
            value=round(duplicates / len(distinct), 4),
            hit_records=len(keys),
            distinct_hits=len(distinct),
            posts=len(posts),
            processed_before_kill=total(at_kill, "narrmon_posts_processed_total"),
        )
    finally:
        worker.stop()
        cleanup(es, settings, bootstrap)


def _posts_lag(samples: Samples, settings: Settings) -> float:
    lags = [
        v
        for (name, labels), v in samples.items()
        if name == "narrmon_consumer_lag" and dict(labels).get("topic") == settings.topics.posts
    ]
    return sum(lags) if len(lags) == settings.topics.partitions else float("inf")
