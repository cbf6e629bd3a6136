"""`narrmon demo`, the README's main command, end to end on the real stack.

The expected counts are computed independently: the demo's connectors replayed into a list (no
Kafka) give the posts and dead letters; the matcher run directly on those posts gives the hits.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch
from kafka.admin import KafkaAdminClient, NewTopic

from connectors.replay import replay
from models.records import DeadLetter, Post
from pipeline.demo import demo_connectors, demo_data_dir, example_catalog
from pipeline.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class _ListSink:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.dead_letters: list[DeadLetter] = []

    def publish_post(self, post: Post) -> None:
        self.posts.append(post)

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)


def _expected(settings: Settings) -> tuple[list[Post], Counter[str], Counter[str]]:
    from models.matching.matcher import load_matcher
    from pipeline.app import matcher_config

    sink = _ListSink()
    for connector in demo_connectors(demo_data_dir()):
        replay(connector, sink, max_chars=settings.worker.max_post_chars)
    dead = Counter(letter.reason for letter in sink.dead_letters)
    matcher = load_matcher(
        example_catalog(),
        cache_dir=settings.cache_dir,
        config=matcher_config(settings),  # the worker's own (live) configuration
    )
    matcher.warm_up()
    hits: Counter[str] = Counter()
    for result in matcher.match([post.text for post in sink.posts]):
        hits.update(match.narrative.id for match in result.matches)
    return sink.posts, dead, hits


def test_demo_json_summary_matches_an_independent_count(
    stack: Settings, es: Elasticsearch, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli import main

    # An earlier run's leftovers, which the demo must prune.
    stale_index = "narrmon-demo-0badc0de-hits-2000.01"
    es.indices.create(index=stale_index)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic("demo-0badc0de.posts", 1, 1)])

    posts, dead, hits = _expected(stack)
    for key, value in {
        "NARRMON_STATE_DIR": str(stack.state_dir),
        "NARRMON_CACHE_DIR": str(stack.cache_dir),
    }.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["demo", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])

    assert summary["posts_published"] == len(posts) == 188
    assert summary["posts_processed"] == summary["posts_published"]
    assert summary["dead_lettered"]["connector"] == dict(dead)
    assert summary["dead_lettered"]["worker"] == {}
    assert summary["hits_produced"] == summary["hits_indexed"] == summary["hits_in_index"]
    assert summary["hits_in_index"] == sum(hits.values())
    assert {nid: n["hits"] for nid, n in summary["narratives"].items()} == dict(hits)
    assert 0 < summary["latency_p50_s"] <= summary["latency_p99_s"]
    assert summary["index"].startswith("narrmon-demo-")
    assert summary["worker_running"] is False

    es.indices.refresh(index=summary["index"])
    assert es.count(index=summary["index"])["count"] == summary["hits_in_index"]
    assert not es.indices.exists(index=stale_index)
    assert "demo-0badc0de.posts" not in admin.list_topics()
    admin.close()
