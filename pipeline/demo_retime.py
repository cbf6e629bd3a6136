"""Re-timing the demo stream to the present, so that trends, threat velocity and spikes look
alive: every post keeps its distance to the others and the newest demo post is dated *now*.
Pure except `latest_post_time` (reads the bundled JSONL)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from connectors.replay import PostSink
from models.dead_letters import DeadLetter
from models.records import Post


def latest_post_time(path: Path) -> datetime:
    """The newest ``created_at`` in a posts JSONL file (lines without one are skipped). Raises
    ValueError when no line has one."""
    latest: datetime | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line).get("created_at")
            when = Post.model_validate(
                {"id": "x", "platform": "x", "source": "x", "text": "x", "created_at": value}
            ).created_at
        except (ValueError, AttributeError):
            continue
        latest = when if latest is None else max(latest, when)
    if latest is None:
        raise ValueError(f"no created_at in {path}")
    return latest


def retime_offset(latest: datetime, now: datetime) -> timedelta:
    """What to add to every demo post's time so that the newest (`latest`) becomes `now`."""
    return now - latest


class RetimedSink:
    """A `connectors.replay.PostSink` that shifts each post's ``created_at`` by `offset` before
    handing it to `sink`, never past `not_after` (an undated article falls back to its file's
    time, which the shift would push into the future); dead letters pass unchanged."""

    def __init__(
        self, sink: PostSink, offset: timedelta, not_after: datetime | None = None
    ) -> None:
        self.sink = sink
        self.offset = offset
        self.not_after = not_after

    def publish_post(self, post: Post) -> None:
        created = post.created_at + self.offset
        if self.not_after is not None:
            created = min(created, self.not_after)
        self.sink.publish_post(post.model_copy(update={"created_at": created}))

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        self.sink.publish_dead_letter(letter)
