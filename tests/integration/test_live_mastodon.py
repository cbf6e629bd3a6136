"""`narrmon connect mastodon` against a local Mastodon streaming + REST server and real Kafka."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from models.dead_letters import DeadLetter
from models.post_events import PostDeleted, PostEdited, parse_post_event
from models.records import Post
from tests.integration.live_helpers import (
    CLI,
    LiveTopics,
    connect_env,
    live_topics,
    read_topic,
    run_connect,
)
from tests.live_frames import lines
from tests.live_servers import LocalServer, MastodonScript, mastodon_app

pytestmark = pytest.mark.integration
__all__ = ["live_topics"]

GOOD = lines("mastodon.jsonl")
BAD = lines("mastodon_bad.jsonl")
STATUSES = [
    json.loads(json.loads(frame)["payload"])
    for frame in GOOD
    if json.loads(frame)["event"] == "update"
]


def options(server: LocalServer, topics: LiveTopics, source: str, token: Path) -> list[str]:
    return [
        "mastodon",
        "--instance", server.url,
        "--token-file", str(token),
        "--source", source,
        "--reconnect-min", "0.1",
        "--reconnect-max", "0.5",
        *topics.options(),
    ]  # fmt: skip


def test_stream_backfill_after_a_drop_rate_limit_dead_letters_and_restart(
    kafka_bootstrap: str, live_topics: LiveTopics, unique_name: str, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    script = MastodonScript(
        token="s3cret",
        rate_limited=1,
        # 2nd connection: three statuses and the bad messages, then dropped; the picture post
        # (GOOD[3]) is published while the source is disconnected: only the REST backfill has it.
        batches=[(GOOD[:3] + BAD, True), ([GOOD[5], GOOD[4]], False)],
        statuses=STATUSES,
    )
    with LocalServer(mastodon_app(script)) as server:
        args = options(server, live_topics, unique_name, token)
        summary = run_connect([*args, "--max-posts", "4"], tmp_path)
        assert (summary["published"], summary["dead_lettered"]) == (4, 4)
        assert summary["reconnects"] == 2 and summary["error"] is None
        assert script.connections[1]["at"] - script.connections[0]["at"] >= 1.0
        assert ("stream", "public") in script.connections[0]["query"]
        assert script.timeline_requests[0]["min_id"] == "113434003"

        # A restart resumes from the checkpoint: a status posted while it was down is backfilled.
        later = dict(STATUSES[0], id="113434005", content="<p>Polls are open until 8 p.m.</p>")
        script.statuses.append(later)
        again = run_connect([*args, "--max-posts", "1"], tmp_path)
        assert again["published"] == 1
        assert script.timeline_requests[-1]["min_id"] == "113434004"

        wrong = tmp_path / "wrong"
        wrong.write_text("nope")
        refused = subprocess.run(
            [*CLI, "connect", *options(server, live_topics, unique_name + "x", wrong), "--json"],
            env=connect_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert refused.returncode == 1
        assert "401" in json.loads(refused.stdout.strip().splitlines()[-1])["error"]

    records = read_topic(kafka_bootstrap, live_topics.posts)
    posts = [Post.model_validate_json(r.value) for r in records]
    host = server.url.removeprefix("http://")
    assert sorted(p.id for p in posts) == sorted(
        f"mastodon:{host}/{n}" for n in ("113434001", "113434003", "113434004", "113434001",
                                         "113434005")
    )  # fmt: skip
    boost = next(p for p in posts if p.id.endswith("113434003"))
    assert boost.references.repost_of == f"mastodon:{host}/113434002"
    letters = [DeadLetter.model_validate_json(r.value) for r in read_topic(
        kafka_bootstrap, live_topics.dead_letters)]  # fmt: skip
    assert sorted(letter.reason for letter in letters) == [
        "malformed_json", "missing_text", "schema_error", "schema_error",
    ]  # fmt: skip
    events = [parse_post_event(r.value) for r in read_topic(kafka_bootstrap, live_topics.events)]
    assert {type(e) for e in events} == {PostDeleted, PostEdited}
