"""`narrmon connect telegram` (real Telethon) against a local MTProto 2.0 server and real Kafka."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from telethon.tl.types import MessageEntityTextUrl, MessageFwdHeader, PeerChannel

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
    start_connect,
)
from tests.live_servers import wait_for
from tests.mtproto_wire import write_session
from tests.telegram_server import TelegramServer

pytestmark = pytest.mark.integration
__all__ = ["live_topics"]

CHANNEL = 1_234_567_890


def options(server: TelegramServer, topics: LiveTopics, source: str, tmp: Path) -> list[str]:
    session = tmp / "analyst.session"
    if not session.exists():
        write_session(session, server.port)
    api_hash = tmp / "api_hash"
    api_hash.write_text("0123456789abcdef\n")
    return [
        "telegram",
        "--channel", server.channel.username,
        "--session-file", str(session),
        "--api-id", "12345",
        "--api-hash-file", str(api_hash),
        "--source", source,
        "--reconnect-min", "0.1",
        "--reconnect-max", "0.5",
        *topics.options(),
    ]  # fmt: skip


def post_id(number: int) -> str:
    return f"telegram:{CHANNEL}/{number}"


def count(bootstrap: str, topic: str) -> int:
    return len(read_topic(bootstrap, topic, 0.5))


def test_updates_reconnects_dead_letters_flood_waits_and_restart(
    kafka_bootstrap: str, live_topics: LiveTopics, unique_name: str, tmp_path: Path
) -> None:
    with TelegramServer() as server:
        server.post("Yesterday's notice, before the source ever ran.")  # 501: no checkpoint yet
        # FLOOD_WAIT_1 on the channel lookup: under the threshold, Telethon sleeps it itself.
        server.flood_waits["ResolveUsernameRequest"] = 1
        args = options(server, live_topics, unique_name, tmp_path)
        process = start_connect([*args, "--max-posts", "6"], tmp_path)
        try:
            wait_for(lambda: server.names().count("ResolveUsernameRequest") == 2, 60, "lookup")
            time.sleep(0.5)  # the source adds its handlers as soon as the lookup answers
            polls = server.post(
                "Polling places are open until 8 p.m. Find yours: elections.example/where",
                post_author="Press Office",
                views=5400,
                forwards=31,
                entities=[MessageEntityTextUrl(49, 22, "https://elections.example/where")],
            )  # 502
            server.post("")  # 503: no text, no media -> dead letter
            forward = server.post(
                "Officials confirm the count continues.",
                fwd_from=MessageFwdHeader(date=None, from_id=PeerChannel(555), channel_post=77),
            )  # 504
            server.edit(polls, "Polling places are open until 9 p.m. (extended)")
            server.delete(forward)
            wait_for(lambda: count(kafka_bootstrap, live_topics.events) == 2, 30, "2 events")

            # The TCP connection drops and a message is posted meanwhile: Telethon reconnects
            # by itself, the next update reveals the pts gap, getChannelDifference fills it.
            server.hold = True
            users = server.names().count("GetUsersRequest")
            server.drop()
            missed = server.post("Counting resumes at 7 a.m.")  # 505
            wait_for(lambda: server.names().count("GetUsersRequest") > users, 30, "reconnect")
            server.hold = False
            after_gap = server.post("Turnout so far: 61 percent.")  # 506
            wait_for(lambda: count(kafka_bootstrap, live_topics.posts) == 5, 30, "5 posts")

            # Telegram's transport-level 429: Telethon gives the connection up, the source
            # raises SourceDisconnected, the runner reconnects with a new client, and the
            # message posted meanwhile comes back through getHistory after the last id seen.
            server.hold = True
            server.transport_error(429)
            backfilled = server.post("Ward 4 results delayed.")  # 507
            server.hold = False
            stdout, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
        assert process.returncode == 0, stderr[-3000:]
        first_run = json.loads(stdout.strip().splitlines()[-1])
        lookups = [r.at for r in server.requests if r.name == "ResolveUsernameRequest"]
        history = [r.request for r in server.requests if r.name == "GetHistoryRequest"]
        start, history = history[0], history[1:]  # the channel's newest message: where it starts
        difference = [r for r in server.requests if r.name == "GetChannelDifferenceRequest"]

        # A restart resumes after the last message id in the saved checkpoint (507). With a
        # FloodWait above --flood-sleep-threshold the source raises RateLimited and the runner
        # waits as told before it reconnects.
        later = [server.post("Results at 9 p.m."), server.post("Recount requested in ward 4.")]
        server.flood_waits["GetHistoryRequest"] = 1
        seen = len(server.requests)
        again = run_connect([*args, "--max-posts", "2", "--flood-sleep-threshold", "0"], tmp_path)
        restart = [r for r in server.requests[seen:] if r.name == "GetHistoryRequest"]
        unknown = refused([*args[:2], "nosuch_channel", *args[3:]], tmp_path)
        server.logged_in = False
        signed_out = refused(args, tmp_path)

    assert (first_run["published"], first_run["dead_lettered"]) == (6, 1)
    assert (first_run["edited"], first_run["deleted"], first_run["error"]) == (1, 1, None)
    assert first_run["reconnects"] == 1 and server.connections >= 4
    assert lookups[1] - lookups[0] >= 1.0
    assert start.limit == 1 and start.offset_id == 0
    assert difference and history[0].offset_id == after_gap + 1
    assert (again["published"], again["reconnects"], again["error"]) == (2, 1, None)
    assert restart[1].at - restart[0].at >= 1.0
    assert {r.request.offset_id for r in restart[:2]} == {backfilled + 1}
    assert "nosuch_channel" in unknown
    assert "not a logged-in session" in signed_out

    records = read_topic(kafka_bootstrap, live_topics.posts, 2.0)
    posts = [Post.model_validate_json(r.value) for r in records]
    assert sorted(p.id for p in posts) == sorted(
        post_id(n) for n in (polls, forward, polls, missed, after_gap, backfilled, *later)
    )
    first = next(p for p in posts if p.id == post_id(polls) and "8 p.m." in p.text)
    assert first.url == f"https://t.me/county_elections/{polls}"
    assert first.author.id == str(CHANNEL) and first.author.handle == "county_elections"
    assert first.author.display_name == "Press Office"
    assert (first.engagement.views, first.engagement.reposts) == (5400, 31)
    assert first.platform == "telegram" and first.source == unique_name
    assert first.created_at == server.channel.messages[polls].date
    assert "https://elections.example/where" in json.dumps(first.raw)
    edited = next(p for p in posts if p.id == post_id(polls) and "9 p.m." in p.text)
    assert edited.text == "Polling places are open until 9 p.m. (extended)"
    reposted = next(p for p in posts if p.id == post_id(forward))
    assert reposted.references.repost_of == "telegram:555/77"

    letters = read_topic(kafka_bootstrap, live_topics.dead_letters, 2.0)
    (letter,) = [DeadLetter.model_validate_json(r.value) for r in letters]
    assert letter.reason == "missing_text"
    events = [
        parse_post_event(r.value) for r in read_topic(kafka_bootstrap, live_topics.events, 2.0)
    ]
    assert sorted((type(e).__name__, e.post_id) for e in events) == [
        (PostDeleted.__name__, post_id(forward)),
        (PostEdited.__name__, post_id(polls)),
    ]


def refused(args: list[str], state_dir: Path) -> str:
    """Run ``narrmon connect`` expecting exit 1 (the platform refused us); its JSON error."""
    done = subprocess.run(
        [*CLI, "connect", *args, "--json"],
        env=connect_env(state_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    error: str = json.loads(done.stdout.strip().splitlines()[-1])["error"]
    return error
