from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.dead_letters import DeadLetter
from models.records import Post

DEMO = Path(__file__).resolve().parents[3] / "pipeline" / "demo_data"
NOW = datetime(2024, 11, 6, 12, 0, tzinfo=UTC)


class ListSink:
    """Collects what a replay publishes (the replay logic under test, not Kafka)."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.dead_letters: list[DeadLetter] = []

    def publish_post(self, post: Post) -> None:
        self.posts.append(post)

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


@pytest.fixture
def demo_dir() -> Path:
    return DEMO
