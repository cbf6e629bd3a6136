"""The demo stream re-timed to the present, and the demo UI's handoff (pure parts)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.dead_letters import DeadLetter
from models.records import Post
from pipeline.demo import demo_data_dir, demo_settings
from pipeline.demo_api import API_PID_KEY, is_demo_api
from pipeline.demo_retime import RetimedSink, latest_post_time, retime_offset
from pipeline.demo_runs import handoff_env
from pipeline.demo_session import read_dotenv
from pipeline.settings import Settings
from tests.factories import make_post

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


class Collect:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.letters: list[DeadLetter] = []

    def publish_post(self, post: Post) -> None:
        self.posts.append(post)

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


def test_newest_demo_post_becomes_now_and_spacing_is_kept() -> None:
    latest = latest_post_time(demo_data_dir() / "posts.jsonl")
    assert latest.year == 2024  # the bundled stream is election night 2024
    sink = Collect()
    retimed = RetimedSink(sink, retime_offset(latest, NOW))
    first = make_post(1, created_at=latest - timedelta(minutes=90))
    last = make_post(2, created_at=latest)
    retimed.publish_post(first)
    retimed.publish_post(last)
    assert [p.created_at for p in sink.posts] == [NOW - timedelta(minutes=90), NOW]
    assert [p.id for p in sink.posts] == ["x:1", "x:2"] and sink.posts[0].text == first.text
    letter = DeadLetter.of(b"{", "malformed_json", "bad", "demo")
    retimed.publish_dead_letter(letter)
    assert sink.letters == [letter]


def test_a_retimed_post_is_never_dated_after_now() -> None:
    sink = Collect()
    retimed = RetimedSink(sink, timedelta(days=700), not_after=NOW)
    retimed.publish_post(make_post(1, created_at=NOW - timedelta(days=1)))  # an undated article
    retimed.publish_post(make_post(2, created_at=NOW - timedelta(days=701)))
    assert [p.created_at for p in sink.posts] == [NOW, NOW - timedelta(days=1)]


def test_latest_post_time_skips_lines_without_a_time(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"created_at": "2024-01-02T00:00:00Z"}\nnot json\n{"x": 1}\n', "utf-8")
    assert latest_post_time(path) == datetime(2024, 1, 2, tzinfo=UTC)


def test_handoff_names_the_demo_api_and_only_a_narrmon_api_counts() -> None:
    run = demo_settings(Settings(), "abcd1234")
    values = read_dotenv(handoff_env(run, worker_pid=11, api_pid=22))
    assert values[API_PID_KEY] == "22"
    assert API_PID_KEY not in read_dotenv(handoff_env(run, worker_pid=11))
    assert not is_demo_api(os.getpid())  # pytest is not `narrmon api`
