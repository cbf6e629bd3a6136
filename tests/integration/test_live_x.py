"""`narrmon connect x` against a local X API v2 server (rules + filtered stream) and real Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.dead_letters import DeadLetter
from models.records import Post
from tests.integration.live_helpers import LiveTopics, live_topics, read_topic, run_connect
from tests.live_frames import lines
from tests.live_servers import LocalServer, XScript, x_app

pytestmark = pytest.mark.integration
__all__ = ["live_topics"]

GOOD = lines("x_stream.jsonl")
BAD = lines("x_stream_bad.jsonl")


def test_rules_sync_then_stream_through_a_429_and_a_drop_without_loss_or_duplicates(
    kafka_bootstrap: str, live_topics: LiveTopics, unique_name: str, tmp_path: Path
) -> None:
    token = tmp_path / "bearer"
    token.write_text("AAAA-bearer\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        '- {value: "election lang:en", tag: election-en}\n'
        '- {value: "elección lang:es", tag: election-es}\n'
    )
    script = XScript(
        token="AAAA-bearer",
        rules=[
            {"id": "1", "value": "old rule"},
            {"id": "2", "value": "election lang:en", "tag": "election-en"},
        ],
        rate_limited=1,
        # the 2nd connection drops after two tweets, an operational message and the bad lines;
        # the 3rd replays the second tweet again (as backfill would): it must not be republished
        batches=[(GOOD[:3] + BAD, True), (GOOD[1:], False)],
    )
    with LocalServer(x_app(script)) as server:
        args = [
            "x", "--bearer-token-file", str(token), "--rules-file", str(rules),
            "--api-base", server.url, "--source", unique_name,
            "--reconnect-min", "0.1", "--reconnect-max", "0.5", "--max-posts", "4",
            *live_topics.options(),
        ]  # fmt: skip
        summary = run_connect(args, tmp_path)
    assert (summary["published"], summary["dead_lettered"]) == (4, 3)
    assert summary["reconnects"] == 2 and summary["duplicates"] == 1
    assert {(r["value"], r.get("tag")) for r in script.rules} == {
        ("election lang:en", "election-en"),
        ("elección lang:es", "election-es"),
    }
    assert script.rule_requests[0] == {"delete": {"ids": ["1"]}}
    first, second, _third = script.connections
    assert second["at"] - first["at"] >= 1.0  # waited for x-rate-limit-reset
    assert "referenced_tweets.id" in first["query"]["expansions"]

    records = read_topic(kafka_bootstrap, live_topics.posts)
    posts = [Post.model_validate_json(r.value) for r in records]
    assert sorted(p.id for p in posts) == [f"x:185400000000000000{n}" for n in (1, 2, 3, 4)]
    retweet = next(p for p in posts if p.id == "x:1854000000000000002")
    assert retweet.references.repost_of == "x:1854000000000000001"
    letters = read_topic(kafka_bootstrap, live_topics.dead_letters)
    reasons = sorted(DeadLetter.model_validate_json(r.value).reason for r in letters)
    assert reasons == ["malformed_json", "schema_error", "schema_error"]
