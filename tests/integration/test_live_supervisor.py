"""`narrmon connectors run FILE`: several sources in one process, supervised, with /metrics."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from connectors.live.metrics import FRAMES_READ, SOURCE_RESTARTS
from models.records import Post
from pipeline.metrics import PRODUCER_SENT
from tests.integration.live_helpers import CLI, LiveTopics, connect_env, live_topics, read_topic
from tests.live_frames import FRAMES, lines
from tests.live_servers import (
    FeedScript,
    LocalServer,
    MastodonScript,
    Script,
    feed_app,
    jetstream_app,
    mastodon_app,
    wait_for,
)

pytestmark = pytest.mark.integration
__all__ = ["live_topics"]


def test_sources_run_side_by_side_a_refused_one_is_restarted_and_sigterm_stops_all(
    kafka_bootstrap: str, live_topics: LiveTopics, unique_name: str, tmp_path: Path
) -> None:
    jetstream = Script(frames=[(n, frame) for n, frame in enumerate(lines("jetstream.jsonl"))])
    feeds = FeedScript(bodies={"feed.atom": (FRAMES / "feed.atom").read_bytes()})
    mastodon = MastodonScript(token="right")
    wrong = tmp_path / "wrong.token"
    wrong.write_text("wrong")
    with (
        LocalServer(jetstream_app(jetstream)) as bsky,
        LocalServer(feed_app(feeds)) as rss,
        LocalServer(mastodon_app(mastodon)) as masto,
    ):
        config = tmp_path / "connectors.yaml"
        config.write_text(
            f"""sources:
  - name: {unique_name}-bsky
    kind: bluesky
    options: {{endpoint: "{bsky.url.replace("http", "ws")}/subscribe"}}
  - name: {unique_name}-rss
    kind: rss
    options: {{feeds: ["{rss.url}/feed.atom"], once: true}}
  - name: {unique_name}-masto
    kind: mastodon
    options: {{instance: "{masto.url}", token_file: "{wrong}"}}
"""
        )
        env = connect_env(tmp_path)
        env.update(
            NARRMON_TOPICS__POSTS=live_topics.posts,
            NARRMON_TOPICS__DEAD_LETTER=live_topics.dead_letters,
            NARRMON_TOPICS__POST_EVENTS=live_topics.events,
        )  # the state dir is tmp_path: the scrape-target file lands there, not the shared stack's
        args = ["connectors", "run", str(config), "--json", "--metrics-port", "0"]
        args += ["--restart-min", "0.2", "--restart-max", "0.4"]
        process = subprocess.Popen(
            [*CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            assert process.stderr is not None
            port = None
            for line in process.stderr:
                found = re.search(r"metrics on http://[\d.]+:(\d+)/metrics", line)
                if found:
                    port = int(found.group(1))
                    break
            assert port is not None
            url = f"http://127.0.0.1:{port}/metrics"
            bsky_read = f'{FRAMES_READ}_total{{source="{unique_name}-bsky"}} 10.0'
            restarted = re.compile(
                rf'{SOURCE_RESTARTS}_total{{source="{unique_name}-masto"}} ([0-9.]+)'
            )

            def masto_restarted(text: str) -> bool:
                found = restarted.search(text)  # the series exists at 0 before any restart
                return found is not None and float(found.group(1)) >= 1

            wait_for(
                lambda: bsky_read in (text := httpx.get(url).text) and masto_restarted(text),
                timeout_s=40,
                what="all Jetstream frames read and the Mastodon source restarted",
            )
            text = httpx.get(url).text
            assert f'{PRODUCER_SENT}_total{{source="{unique_name}-rss"}} 1.0' in text
            process.send_signal(signal.SIGTERM)
            stdout, _ = process.communicate(timeout=30)
        finally:
            process.kill()
    assert process.returncode == 1  # the Mastodon source never got in: reported as an error
    results = {r["source"]: r for r in json.loads(stdout.strip().splitlines()[-1])["sources"]}
    assert results[f"{unique_name}-bsky"]["published"] == 6
    assert results[f"{unique_name}-bsky"]["stopped_by"] == "stop"
    assert results[f"{unique_name}-rss"]["stopped_by"] == "end"
    assert results[f"{unique_name}-masto"]["restarts"] >= 1
    assert "401" in results[f"{unique_name}-masto"]["error"]
    posts = [
        Post.model_validate_json(r.value) for r in read_topic(kafka_bootstrap, live_topics.posts)
    ]
    assert {p.platform for p in posts} == {"bluesky", "web"} and len(posts) == 7
