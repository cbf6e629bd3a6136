"""`narrmon demo`, the README's main command, end to end on the real stack.

The expected counts are computed independently: the demo's connectors replayed into a list (no
Kafka) give the posts and dead letters; the matcher run directly on those posts gives the hits.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch
from kafka.admin import KafkaAdminClient, NewTopic

from connectors.replay import replay
from models.dead_letters import DeadLetter
from models.records import Post
from models.signals.targeting_classifier import DEFAULT_CLASSIFIER, load_classifier
from pipeline.demo import demo_connectors, demo_data_dir, example_catalog
from pipeline.settings import Settings
from pipeline.signals.targeting import TARGETING_NARRATIVE_ID, screen
from tests.integration.live_helpers import read_topic

pytestmark = [pytest.mark.integration, pytest.mark.slow]

README = Path(__file__).resolve().parents[2] / "README.md"
STALE_INDEX = "narrmon-demo-0badc0de-hits-2000.01"
STALE_TOPIC = "demo-0badc0de.posts"


class _ListSink:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.dead_letters: list[DeadLetter] = []

    def publish_post(self, post: Post) -> None:
        self.posts.append(post)

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)


def _expected(
    settings: Settings, published: list[Post]
) -> tuple[list[Post], Counter[str], Counter[str]]:
    """The demo's posts and dead letters replayed into lists, and the hits expected for
    `published` (the posts as the demo put them on its topic: re-timed to the present, which the
    re-ranker's date proximity sees) from a matcher of this process."""
    from pipeline.agents.matcher import load_matcher

    sink = _ListSink()
    for connector in demo_connectors(demo_data_dir()):
        replay(connector, sink, max_chars=settings.worker.max_post_chars)
    dead = Counter(letter.reason for letter in sink.dead_letters)
    # the worker's own loader: same configuration, embedding backend and catalog
    catalog = settings.catalog.model_copy(update={"path": example_catalog()})
    matcher = load_matcher(settings.model_copy(update={"catalog": catalog}))
    matcher.warm_up()
    hits: Counter[str] = Counter()
    texts = [post.text for post in published]
    results = matcher.match(texts, dates=[post.created_at.date() for post in published])
    for result in results:
        hits.update(match.narrative.id for match in result.matches)
    # a flagged post that matched no catalog narrative gets one hit on the synthetic
    # `targeting` narrative (`pipeline.signals.targeting`), with the shipped classifier
    targeting = settings.signals.targeting
    assert targeting.enabled and targeting.method == "classifier"
    classifier = load_classifier(targeting.classifier_path or DEFAULT_CLASSIFIER)
    unmatched = [(t, r.embedding) for t, r in zip(texts, results, strict=True) if not r.matches]
    if unmatched:
        probabilities = classifier.probabilities(np.asarray([e for _, e in unmatched]))
        for (text, _), probability in zip(unmatched, probabilities, strict=True):
            if screen(text, probability=float(probability), threshold=classifier.threshold).flag:
                hits[TARGETING_NARRATIVE_ID] += 1
    return sink.posts, dead, hits


@pytest.fixture(scope="module")
def kept_demo(stack: Settings, es: Elasticsearch, kafka_bootstrap: str) -> Iterator[dict[str, Any]]:
    """``narrmon demo --json --keep-running`` once for the module (after planting an earlier run's
    leftovers, which it must prune); its summary. Stops the kept worker afterwards."""
    from pipeline.cli import main
    from pipeline.demo_session import stop_demo

    es.indices.create(index=STALE_INDEX)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(STALE_TOPIC, 1, 1)])
    admin.close()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NARRMON_STATE_DIR", str(stack.state_dir))
        env.setenv("NARRMON_CACHE_DIR", str(stack.cache_dir))
        for name in ("ENV_FILE", "ELASTICSEARCH__INDEX_PREFIX", "CATALOG__PATH"):
            env.delenv(f"NARRMON_{name}", raising=False)
        result = CliRunner().invoke(main, ["demo", "--json", "--keep-running"])
        assert result.exit_code == 0, result.output
        summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        try:
            yield summary
        finally:
            stop_demo(stack.state_dir)


def test_demo_json_summary_matches_an_independent_count(
    stack: Settings, es: Elasticsearch, kafka_bootstrap: str, kept_demo: dict[str, Any]
) -> None:
    summary = kept_demo
    records = read_topic(kafka_bootstrap, summary["topics"]["posts"], 2.0)
    published = [Post.model_validate_json(record.value) for record in records]
    posts, dead, hits = _expected(stack, published)
    assert sorted(p.id for p in published) == sorted(p.id for p in posts)
    assert summary["posts_published"] == len(posts) == 188
    assert summary["posts_processed"] == summary["posts_published"]
    assert summary["dead_lettered"]["connector"] == dict(dead)
    assert summary["dead_lettered"]["worker"] == {}
    assert summary["hits_produced"] == summary["hits_indexed"] == summary["hits_in_index"]
    assert summary["hits_in_index"] == sum(hits.values())
    assert {nid: n["hits"] for nid, n in summary["narratives"].items()} == dict(hits)
    assert 0 < summary["latency_p50_s"] <= summary["latency_p99_s"]
    assert summary["index"].startswith("narrmon-demo-")
    assert summary["worker_running"] is True

    es.indices.refresh(index=summary["index"])
    assert es.count(index=summary["index"])["count"] == summary["hits_in_index"]
    assert not es.indices.exists(index=STALE_INDEX)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    assert STALE_TOPIC not in admin.list_topics()
    admin.close()


def readme_commands() -> list[list[str]]:
    """The commands between the README's ``readme-commands`` markers, as argument lists."""
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- readme-commands: begin -->")[1].split("<!-- readme-commands: end -->")[
        0
    ]
    lines = [line for line in block.splitlines() if line and not line.startswith("```")]
    return [shlex.split(line, comments=True) for line in lines]


def test_kept_demo_serves_the_ui_on_retimed_posts(
    stack: Settings, kept_demo: dict[str, Any]
) -> None:
    """--keep-running hands off a running UI (recorded for `stack down`) on posts dated now,
    with every hit threat-scored and the triage queue as the default order."""
    import urllib.request
    from datetime import UTC, datetime, timedelta

    from pipeline.stack import background
    from pipeline.stack.layout import StackLayout

    url = kept_demo["ui_url"]
    assert url and url.startswith("http://127.0.0.1:")
    recorded = [p for p in background.running(StackLayout.of(stack).background_dir)]
    assert any(p.name == "demo-api" and p.url == url for p in recorded), recorded
    with urllib.request.urlopen(url + "api/search?size=100&sort=newest", timeout=30) as response:
        body = json.loads(response.read())
    newest = datetime.fromisoformat(body["hits"][0]["fields"]["post.created_at"])
    assert abs(datetime.now(UTC) - newest) < timedelta(minutes=95)  # the stream spans 90 min
    assert all(h["fields"]["threat.level"] for h in body["hits"])
    with urllib.request.urlopen(url + "api/search?size=20", timeout=30) as response:
        queue = json.loads(response.read())["hits"]
    scores = [h["fields"]["threat.score"] for h in queue]
    assert scores == sorted(scores, reverse=True)  # nothing reviewed yet: threat order


def test_readme_commands_work_on_the_demos_data(
    stack: Settings, kept_demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command of the README's demo recipe, run as written (the demo itself was run by
    `kept_demo`, the server is not started): they find the demo's data without being told."""
    from pipeline.cli import main

    monkeypatch.setenv("NARRMON_STATE_DIR", str(stack.state_dir))
    for name in ("ENV_FILE", "ELASTICSEARCH__INDEX_PREFIX", "CATALOG__PATH"):
        monkeypatch.delenv(f"NARRMON_{name}", raising=False)
    commands = readme_commands()
    assert commands[0] == ["narrmon", "demo", "--keep-running"]
    assert commands[-1] == ["narrmon", "demo", "--stop"]
    assert any(c[-2:] == ["narrmon", "api"] for c in commands)
    runner = CliRunner()
    hit_id: str | None = None
    for command in commands[1:]:
        if command[-2:] == ["narrmon", "api"]:
            continue
        args = command[1:]
        if "ID" in args:
            assert hit_id, "the README shows a hit before it uses its id"
            args = [hit_id if a == "ID" else a for a in args]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (command, result.output)
        if args[0] == "search":
            assert "using the running demo's data" in result.stderr
            if "--json" in args:
                body = json.loads(result.stdout)
                assert body["index"].startswith(kept_demo["index"].rsplit("-hits", 1)[0])
                assert body["hits"], command
                hit_id = body["hits"][0]["id"]
            else:
                assert f"hits in {kept_demo['index'].rsplit('-hits', 1)[0]}" in result.stdout
                assert not result.stdout.startswith("0 hits"), result.stdout
                assert "&#x27;" not in result.stdout and "&amp;" not in result.stdout
        if args[:2] == ["hits", "show"]:
            assert result.stdout.startswith(hit_id or "?")
        if args[:2] == ["demo", "--stop"]:
            assert f"stopped demo worker {kept_demo['worker_pid']} and its UI" in result.stdout
    assert not (stack.state_dir / "demo" / "latest.env").exists()
