"""`narrmon dlq` against the real Kafka broker: list, show, and replay without duplicates."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from connectors.topic_reader import read_topic
from connectors.topics import ensure_topics
from models.dead_letters import DeadLetter
from pipeline.cli import main
from tests.factories import make_post

pytestmark = pytest.mark.integration


@pytest.fixture
def topics(kafka_bootstrap: str, unique_name: str) -> Iterator[dict[str, str]]:
    names = {"posts": f"{unique_name}.posts", "dead_letter": f"{unique_name}.posts.dlq"}
    ensure_topics(kafka_bootstrap, names.values(), partitions=2, replication=1)
    yield names
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.delete_topics(list(names.values()))
    finally:
        admin.close()


def produce(bootstrap: str, topic: str, key: str, value: bytes) -> tuple[int, int]:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        meta = producer.send(topic, key=key.encode(), value=value).get(timeout=30)
        return int(meta.partition), int(meta.offset)
    finally:
        producer.close()


def dead_letter(bootstrap: str, topics: dict[str, str], letter: DeadLetter) -> str:
    partition, offset = produce(
        bootstrap, topics["dead_letter"], letter.key or "k", letter.model_dump_json().encode()
    )
    return f"{partition}:{offset}"


def refused_on_posts(
    bootstrap: str, topics: dict[str, str], raw: bytes, key: str, reason: str
) -> str:
    """Put `raw` on the posts topic and dead-letter it as the worker would."""
    partition, offset = produce(bootstrap, topics["posts"], key, raw)
    letter = DeadLetter.of(
        raw,
        reason,  # type: ignore[arg-type]
        f"{reason} in test",
        "demo:posts",
        original_topic=topics["posts"],
        original_partition=partition,
        original_offset=offset,
        key=key,
    )
    return dead_letter(bootstrap, topics, letter)


def cli(topics: dict[str, str], *args: str) -> Any:
    env = {
        "NARRMON_TOPICS__POSTS": topics["posts"],
        "NARRMON_TOPICS__DEAD_LETTER": topics["dead_letter"],
    }
    result = CliRunner().invoke(main, ["dlq", *args], env=env)
    return result


def keys_on_posts(bootstrap: str, topics: dict[str, str]) -> Counter[str]:
    return Counter((r.key or b"").decode() for r in read_topic(bootstrap, topics["posts"]))


def test_list_show_and_replay_without_duplicates(
    kafka_bootstrap: str, topics: dict[str, str], tmp_path: Path
) -> None:
    delivered = make_post("a")
    produce(kafka_bootstrap, topics["posts"], delivered.id, delivered.model_dump_json().encode())
    # A bug refused post b (now fixed): its original is a valid post, refused on the posts topic.
    post_b = make_post("b", text="ballots were found in a river")
    ref_b = refused_on_posts(
        kafka_bootstrap, topics, post_b.model_dump_json().encode(), post_b.id, "unexpected_error"
    )
    # A second letter for post a, which was delivered anyway: replaying it would duplicate a.
    ref_a = refused_on_posts(
        kafka_bootstrap,
        topics,
        delivered.model_dump_json().encode(),
        delivered.id,
        "unexpected_error",
    )
    # A record that is still broken, and a connector's letter with no posts-topic origin.
    ref_c = refused_on_posts(
        kafka_bootstrap, topics, b'{"id": "x:c", "text": 1}', "x:c", "schema_error"
    )
    ref_d = dead_letter(
        kafka_bootstrap,
        topics,
        DeadLetter.of(b'{"id": "d", "text": "un', "malformed_json", "bad json", "demo:malformed"),
    )

    listed = cli(topics, "list", "--json")
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.output)
    assert body["total"] == body["matching"] == 4
    assert body["by_reason"] == {"unexpected_error": 2, "schema_error": 1, "malformed_json": 1}
    assert {row["id"] for row in body["letters"]} == {ref_a, ref_b, ref_c, ref_d}
    only = json.loads(cli(topics, "list", "--json", "--source", "demo:malformed").output)
    assert [row["id"] for row in only["letters"]] == [ref_d]
    recent = json.loads(
        cli(topics, "list", "--json", "--reason", "schema_error", "--since", "1h").output
    )
    assert [row["id"] for row in recent["letters"]] == [ref_c]
    assert json.loads(cli(topics, "list", "--json", "--until", "1h").output)["matching"] == 0

    shown = json.loads(cli(topics, "show", ref_c, "--json").output)
    assert shown["original"] == {"id": "x:c", "text": 1}
    assert (shown["original_topic"], shown["reason"]) == (topics["posts"], "schema_error")
    origin = f"{topics['posts']}[{shown['original_partition']}]@{shown['original_offset']}"
    assert shown["origin"] == origin
    assert cli(topics, "show", "9:999").exit_code == 1
    text = cli(topics, "list", "--reason", "malformed_json").output
    assert (
        text.startswith("1 of 4 dead letters") and ref_d in text and "source demo:malformed" in text
    )
    assert "posts[" in cli(topics, "show", ref_c).output
    assert cli(topics, "show", ref_d, "--original").output == '{"id": "d", "text": "un\n'

    first = cli(
        topics, "replay", "--reason", "unexpected_error", "--reason", "schema_error", "--json"
    )
    assert first.exit_code == 0, first.output
    result = json.loads(first.output)
    assert [(r["ref"], r["post_id"]) for r in result["replayed"]] == [(ref_b, post_b.id)]
    skipped = {s["ref"]: s["why"] for s in result["skipped"]}
    assert skipped[ref_a].startswith("already delivered: x:a")
    assert skipped[ref_c].startswith("still invalid: schema_error")
    # Replaying again publishes nothing: b is on the posts topic now.
    again = json.loads(cli(topics, "replay", ref_b, "--json").output)
    assert again["published"] == 0 and again["skipped"][0]["why"].startswith("already delivered")

    fix = tmp_path / "fix.jsonl"
    fix.write_text(make_post("c", text="fixed").model_dump_json() + "\n", encoding="utf-8")
    fixed = json.loads(cli(topics, "replay", "--from-file", str(fix), "--json").output)
    assert fixed["published"] == 1
    assert (
        json.loads(cli(topics, "replay", "--from-file", str(fix), "--json").output)["published"]
        == 0
    )
    fix.write_text('{"id": "x:e", "text": "no platform"}\n', encoding="utf-8")
    refused = cli(topics, "replay", "--from-file", str(fix))
    assert refused.exit_code == 2 and "fix.jsonl, line 1" in refused.output

    keys = keys_on_posts(kafka_bootstrap, topics)
    # a: delivered + its refused copy (not replayed); b: refused copy + one replay;
    # c: the broken copy + the fix. Nothing else.
    assert keys == Counter({"x:a": 2, "x:b": 2, "x:c": 2})
