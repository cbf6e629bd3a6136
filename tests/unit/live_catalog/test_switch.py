"""The live catalog's pure parts: the wire format, the holder and switch, the file watch."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from models.catalog import Catalog, CatalogError, Narrative, catalog_from_message, catalog_message
from models.dead_letters import RecordOrigin
from models.matching import Matcher
from models.records import Match, NarrativeRef
from pipeline.agents.matching import MatchStep
from pipeline.live_catalog.follower import FileWatch
from pipeline.live_catalog.holder import CatalogSwitch, MatcherHolder
from pipeline.metrics import Metrics
from pipeline.runner import Record
from tests.factories import make_match, make_post


def _catalog(*ids: str) -> Catalog:
    return Catalog(
        name="t", narratives=tuple(Narrative(id=i, title=i, exemplars=(f"{i} text",)) for i in ids)
    )


@dataclass
class _Result:
    embedding: list[float]
    matches: list[Match]
    embed_seconds: float = 0.0
    match_seconds: float = 0.0


class CatalogMatcher:
    """Matches a post whose text equals a narrative id; records the thread it warmed up on."""

    model_id = "test/model"
    dims = 2

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.catalog_version = catalog.version
        self.warm_thread: str | None = None

    def with_catalog(self, catalog: Catalog) -> Matcher:
        return CatalogMatcher(catalog)

    def warm_up(self) -> None:
        self.warm_thread = threading.current_thread().name

    def narratives(self) -> list[NarrativeRef]:
        return [n.ref() for n in self.catalog.active]

    def match(
        self, texts: Sequence[str], dates: Sequence[dt.date | None] | None = None
    ) -> list[_Result]:
        ids = {n.id for n in self.catalog.active}
        return [
            _Result(
                [0.0, 1.0],
                [make_match(t, catalog_version=self.catalog_version)] if t in ids else [],
            )
            for t in texts
        ]


def test_message_round_trip_keeps_version_and_narratives() -> None:
    catalog = Catalog(name="c", narratives=_catalog("a", "b").narratives, version="jsonl-hash")
    back = catalog_from_message(catalog_message(catalog))
    assert (back.name, back.version, back.narratives) == ("c", "jsonl-hash", catalog.narratives)


def test_a_message_with_an_invalid_narrative_is_refused_naming_the_field() -> None:
    raw = catalog_message(_catalog("a")).replace(b'"severity":"medium"', b'"severity":"urgent"')
    with pytest.raises(CatalogError) as caught:
        catalog_from_message(raw, "catalog@7")
    assert any(p.startswith("catalog@7: narratives.0.severity:") for p in caught.value.problems)


def test_switch_builds_on_the_model_thread_and_swaps() -> None:
    holder = MatcherHolder(CatalogMatcher(_catalog("a")))
    seen: list[str] = []
    executor = ThreadPoolExecutor(1, thread_name_prefix="model")
    switch = CatalogSwitch(holder, executor, lambda m: seen.append(m.catalog_version))
    new = _catalog("a", "b")
    assert switch.apply(new) is True
    assert holder.current.catalog_version == new.version
    assert isinstance(holder.current, CatalogMatcher)
    assert holder.current.warm_thread is not None and holder.current.warm_thread.startswith("model")
    assert seen == [new.version]
    assert switch.apply(new) is False  # same version: nothing rebuilt
    assert seen == [new.version]


def test_a_failing_build_keeps_the_old_matcher() -> None:
    old = CatalogMatcher(_catalog("a"))

    class Broken(CatalogMatcher):
        def with_catalog(self, catalog: Catalog) -> Matcher:
            raise RuntimeError("out of memory")

    holder = MatcherHolder(Broken(_catalog("a")))
    with pytest.raises(RuntimeError):
        CatalogSwitch(holder, ThreadPoolExecutor(1)).apply(_catalog("b"))
    assert holder.current.catalog_version == old.catalog_version


def test_the_match_step_reads_the_current_matcher_per_batch() -> None:
    holder = MatcherHolder(CatalogMatcher(_catalog("a")))
    step = MatchStep(holder, Metrics(CollectorRegistry()), ThreadPoolExecutor(1))
    posts = [make_post(1, text="a"), make_post(2, text="b")]
    records = [
        Record(p, p.model_dump_json().encode(), RecordOrigin(offset=i)) for i, p in enumerate(posts)
    ]
    before = asyncio.run(step(records))
    holder.swap(CatalogMatcher(_catalog("a", "b")))
    after = asyncio.run(step(records))
    assert [o.key for o in before.outputs] == [b"x:1:a"]
    assert [o.key for o in after.outputs] == [b"x:1:a", b"x:2:b"]


def _wait(condition: object, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)


def test_file_watch_delivers_a_valid_edit_and_refuses_an_invalid_one(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("narratives:\n  - id: a\n    title: A\n    exemplars: [a text]\n")
    got: list[Catalog] = []
    refused: list[CatalogError] = []
    watch = FileWatch(path, got.append, refused.append, interval_s=0.05)
    watch.start()
    try:
        time.sleep(0.15)  # the first look only records the content
        path.write_text(
            "narratives:\n  - id: a\n    title: A\n    exemplars: [a text]\n    severity: urgent\n"
        )
        _wait(lambda: refused)
        assert got == []
        assert "catalog.yaml:5: narratives[0].severity" in refused[0].problems[0]
        path.write_text("narratives:\n  - id: b\n    title: B\n    exemplars: [b text]\n")
        _wait(lambda: got)
        assert [n.id for n in got[0].narratives] == ["b"]
    finally:
        watch.stop()
