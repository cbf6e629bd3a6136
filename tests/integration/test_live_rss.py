"""`narrmon connect rss` against a local feed server and the real Kafka."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.dead_letters import DeadLetter
from models.records import Post
from tests.integration.live_helpers import LiveTopics, live_topics, read_topic, run_connect
from tests.live_frames import FRAMES
from tests.live_servers import FeedScript, LocalServer, feed_app

pytestmark = pytest.mark.integration
__all__ = ["live_topics"]

NOT_A_FEED = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


def test_feeds_publish_articles_once_across_restarts_with_conditional_gets(
    kafka_bootstrap: str,
    live_topics: LiveTopics,
    unique_name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NARRMON_WORKER__MAX_POST_CHARS", "5000")  # the long item splits in 3
    assert os.environ["NARRMON_WORKER__MAX_POST_CHARS"] == "5000"
    script = FeedScript(
        bodies={
            "county.rss": (FRAMES / "feed.rss").read_bytes(),
            "noticias.atom": (FRAMES / "feed.atom").read_bytes(),
            "broken.xml": NOT_A_FEED,
        },
        rate_limited=1,
    )
    feeds_file = tmp_path / "feeds.txt"
    with LocalServer(feed_app(script)) as server:
        feeds_file.write_text(f"{server.url}/noticias.atom 60\n{server.url}/broken.xml\n")
        args = [
            "rss", f"{server.url}/county.rss", "--feeds-file", str(feeds_file), "--once",
            "--source", unique_name, *live_topics.options(),
        ]  # fmt: skip
        first = run_connect(args, tmp_path)
        # county.rss: 3 items with text (the long one in 3 parts) + 1 empty; atom: 1 item.
        assert (first["published"], first["dead_lettered"]) == (6, 2)
        assert first["stopped_by"] == "end" and first["error"] is None
        county = [r for r in script.requests if r["name"] == "county.rss"]
        assert county[1]["at"] - county[0]["at"] >= 1.0  # the 429's Retry-After: 1

        again = run_connect(args, tmp_path)  # a restart: 304s, nothing republished
        assert (again["published"], again["dead_lettered"]) == (0, 0)
        assert script.requests[-3]["if_none_match"] is not None

        newer = script.bodies["county.rss"].replace(
            b"<item>",
            b"<item><title>Canvass begins</title><guid>elections-example-2024-102</guid>"
            b"<description>The canvass of the returns begins Thursday.</description></item><item>",
            1,
        )
        script.bodies["county.rss"] = newer  # a new ETag: the whole feed comes back
        third = run_connect(args, tmp_path)
        assert third["published"] == 1  # only the new item: the others were seen before

    posts = [
        Post.model_validate_json(r.value) for r in read_topic(kafka_bootstrap, live_topics.posts)
    ]
    assert len(posts) == 7 and len({p.id for p in posts}) == 7
    parts = [p for p in posts if p.part is not None]
    assert len(parts) == 3 and {p.part.count for p in parts if p.part} == {3}
    assert {p.language for p in posts} == {"en", "es"}
    letters = read_topic(kafka_bootstrap, live_topics.dead_letters)
    reasons = sorted(DeadLetter.model_validate_json(r.value).reason for r in letters)
    assert reasons == ["schema_error", "schema_error"]
    originals = {DeadLetter.model_validate_json(r.value).original() for r in letters}
    assert NOT_A_FEED in originals
