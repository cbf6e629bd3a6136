"""The replay glue: every item ends as posts or one dead letter, pacing uses created_at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from connectors.base import OversizePolicy, RawItem
from connectors.pacing import Pacer, Speed
from connectors.replay import replay
from models.errors import InvalidRecord
from models.records import Post

from .conftest import ListSink

T0 = datetime(2024, 11, 6, tzinfo=UTC)


class ScriptedConnector:
    """Items are instructions: ok:<text>:<offset seconds>, reject, crash."""

    source = "scripted"
    oversize: OversizePolicy = "reject"

    def __init__(self, items: list[str]) -> None:
        self._items = items

    def items(self) -> Iterator[RawItem]:
        for number, item in enumerate(self._items, start=1):
            yield RawItem(data=item.encode(), origin=f"script:{number}")

    def normalise(self, raw: RawItem) -> Post:
        assert isinstance(raw.data, bytes)
        kind, _, rest = raw.data.decode().partition(":")
        if kind == "reject":
            raise InvalidRecord("schema_error", "scripted rejection")
        if kind == "crash":
            raise KeyError("boom")
        text, _, offset = rest.partition(":")
        return Post(
            id=f"x:{raw.origin}",
            platform="x",
            source=self.source,
            text=text,
            created_at=T0 + timedelta(seconds=float(offset or 0)),
        )


def test_every_item_is_published_or_dead_lettered(sink: ListSink) -> None:
    connector = ScriptedConnector(["ok:hello:0", "reject", "crash", "ok:" + "y" * 50 + ":1"])
    seen: list[str] = []
    summary = replay(connector, sink, max_chars=20, on_item=lambda raw: seen.append(raw.origin))
    assert summary.as_dict() == {
        "read": 4,
        "published": 1,
        "parts": 0,
        "dead_lettered": 3,
        "by_reason": {"normalisation_error": 1, "oversized": 1, "schema_error": 1},
    }
    assert seen == ["script:1", "script:2", "script:3", "script:4"]
    assert [d.key for d in sink.dead_letters] == ["script:2", "script:3", "script:4"]
    assert sink.dead_letters[1].error == "KeyError: 'boom'"
    assert sink.dead_letters[0].original() == b"reject"


def test_replay_paces_published_posts_only(sink: ListSink) -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(Speed(2.0), clock=lambda: now[0], sleep=sleep)
    connector = ScriptedConnector(["ok:a:0", "reject", "ok:b:10", "ok:c:30"])
    replay(connector, sink, max_chars=100, pacer=pacer)
    assert slept == [5.0, 10.0]
    assert [p.text for p in sink.posts] == ["a", "b", "c"]
