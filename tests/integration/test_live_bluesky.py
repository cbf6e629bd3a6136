"""`narrmon connect bluesky` against a local Jetstream server and the real Kafka."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from models.dead_letters import DeadLetter
from models.post_events import PostDeleted, PostEdited, parse_post_event
from models.records import Post
from tests.integration.live_helpers import (
    LiveTopics,
    live_topics,
    read_topic,
    run_connect,
    start_connect,
)
from tests.live_frames import lines
from tests.live_servers import LocalServer, Script, jetstream_app, wait_for

pytestmark = pytest.mark.integration
__all__ = ["live_topics"]

BASE = 1730851200_000000
GOOD = lines("jetstream.jsonl")
BAD = lines("jetstream_bad.jsonl")
# The server's log: the ten recorded frames at their own time_us, bad frames in between.
LOG = sorted(
    [(json.loads(frame)["time_us"], frame) for frame in GOOD]
    + [(BASE + 2500 + 2000 * n, frame) for n, frame in enumerate(BAD)]
)
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
DID2 = "did:plc:z72i7hdynmk6r22z27h6tvur"
POST_IDS = {
    f"bluesky:at://{did}/app.bsky.feed.post/{rkey}"
    for did, rkey in [
        (DID, "3lbaaaaaaaa01"),
        (DID2, "3lbaaaaaaaa03"),
        (DID, "3lbaaaaaaaa05"),
        (DID, "3lbaaaaaaaa09"),
        (DID, "3lbaaaaaaaa10"),
    ]
}


def options(server: LocalServer, topics: LiveTopics, source: str) -> list[str]:
    return [
        "bluesky",
        "--endpoint", server.url.replace("http", "ws") + "/subscribe",
        "--source", source,
        "--reconnect-min", "0.1",
        "--reconnect-max", "0.5",
        *topics.options(),
    ]  # fmt: skip


def test_frames_become_posts_events_and_dead_letters_across_a_429_and_a_dropped_connection(
    kafka_bootstrap: str, live_topics: LiveTopics, unique_name: str, tmp_path: Path
) -> None:
    script = Script(frames=LOG, rate_limited=1, retry_after="1", drops=[6])
    with LocalServer(jetstream_app(script)) as server:
        summary = run_connect(
            [*options(server, live_topics, unique_name), "--max-posts", "6"], tmp_path
        )
    assert summary["source"] == unique_name
    assert (summary["published"], summary["dead_lettered"]) == (6, 4)
    assert summary["reconnects"] == 2 and summary["stopped_by"] == "max_posts"
    assert summary["edited"] == summary["deleted"] == 1 and summary["error"] is None

    first, second, third = script.connections
    assert second["at"] - first["at"] >= 1.0  # Retry-After: 1 honoured
    assert ("wantedCollections", "app.bsky.feed.post") in first["query"]
    assert not any(key == "cursor" for key, _ in second["query"])
    cursor = dict(third["query"])["cursor"]  # resumed, rewound 5 s from the last processed frame
    assert int(cursor) <= BASE

    posts = [
        Post.model_validate_json(r.value) for r in read_topic(kafka_bootstrap, live_topics.posts)
    ]
    assert len(posts) == 6  # nothing lost, the reconnect overlap not published twice
    assert {p.id for p in posts} == POST_IDS
    edited = [p for p in posts if p.text.startswith("Correction")]
    assert len(edited) == 1 and edited[0].id.endswith("3lbaaaaaaaa01")
    spanish = next(p for p in posts if p.language == "es")
    assert spanish.references.quote_of and spanish.references.reply_to

    letters = read_topic(kafka_bootstrap, live_topics.dead_letters)
    reasons = sorted(DeadLetter.model_validate_json(r.value).reason for r in letters)
    assert reasons == ["invalid_utf8", "malformed_json", "missing_text", "schema_error"]
    assert {DeadLetter.model_validate_json(r.value).original() for r in letters} == set(BAD)

    events = [parse_post_event(r.value) for r in read_topic(kafka_bootstrap, live_topics.events)]
    assert sorted(type(e).__name__ for e in events) == ["PostDeleted", "PostEdited"]
    deleted = next(e for e in events if isinstance(e, PostDeleted))
    assert deleted.post_id.endswith(f"{DID2}/app.bsky.feed.post/3lbaaaaaaaa03")
    assert any(isinstance(e, PostEdited) for e in events)


def test_sigterm_saves_the_checkpoint_and_a_restart_resumes_from_it(
    kafka_bootstrap: str, live_topics: LiveTopics, unique_name: str, tmp_path: Path
) -> None:
    script = Script(frames=LOG, limit=5)  # the live edge: f1, identity, bad, f3, account
    checkpoint = tmp_path / "connectors" / f"{unique_name}.json"
    with LocalServer(jetstream_app(script)) as server:
        args = [*options(server, live_topics, unique_name), "--rewind", "0"]
        process = start_connect(args, tmp_path)
        try:
            wait_for(
                lambda: (
                    checkpoint.exists()
                    and json.loads(checkpoint.read_text())["cursor"] == BASE + 4000
                ),
                timeout_s=30,
                what="the checkpoint to reach the account frame",
            )
            process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=30)
        finally:
            process.kill()
        assert process.returncode == 0, stderr[-2000:]
        first = json.loads(stdout.strip().splitlines()[-1])
        assert (first["published"], first["dead_lettered"], first["stopped_by"]) == (2, 1, "stop")

        script.limit = None  # more events arrived while the source was down
        second = run_connect([*args, "--max-posts", "4"], tmp_path)
    assert dict(script.connections[-1]["query"])["cursor"] == str(BASE + 4000)
    assert second["published"] == 4 and second["dead_lettered"] == 3
    posts = read_topic(kafka_bootstrap, live_topics.posts)
    keys = [r.key.decode() for r in posts]
    assert len(keys) == 6 and set(keys) == POST_IDS  # no gap, no duplicate
    assert json.loads(checkpoint.read_text())["cursor"] == BASE + 10000
