"""No record can stop the worker, on the real stack: hostile records between good posts (on the
posts topic and on the hits topic), and a post that makes the matcher raise, all go to the
dead-letter topic with their reason; every good post is processed and its hits indexed once;
the worker never stops or restarts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from models.dead_letters import DeadLetter
from pipeline.settings import Settings
from pipeline.worker_process import WorkerProcess, total
from tests.integration.poison_worker import ENTRY, POISON
from tests.integration.test_pipeline_worker import (
    cleanup,
    expected_hit_ids,
    index_ids,
    make_posts,
    matcher,  # noqa: F401 - the module-scoped fixture
    post_records,
    produce,
    read_topic,
    scenario_settings,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GOOD = {"platform": "x", "source": "hostile", "created_at": "2024-11-06T00:00:00Z"}


def _json(obj: object) -> bytes:
    return json.dumps(obj).encode()  # ensure_ascii: lone surrogates travel as \\udXXX escapes


HOSTILE_POSTS: dict[str, tuple[bytes, str]] = {
    "deep-array": (b"[" * 20_000 + b"]" * 20_000, "schema_error"),
    "deep-raw": (
        _json({**GOOD, "id": "h:1", "text": "ok", "raw": {"a": "X"}}).replace(
            b'"X"', b"[" * 150 + b"]" * 150
        ),
        "schema_error",
    ),
    "surrogate-raw": (
        _json({**GOOD, "id": "h:2", "text": "ok", "raw": {"k": "\ud800"}}),
        "invalid_utf8",
    ),
    "surrogate-text": (_json({**GOOD, "id": "h:3", "text": "bad \udfff"}), "schema_error"),
    "nul-text": (_json({**GOOD, "id": "h:4", "text": "\x00\x00"}), "missing_text"),
    "far-date": (
        _json({**GOOD, "id": "h:5", "text": "ok", "created_at": "9999-12-31T23:59:59-23:59"}),
        "schema_error",
    ),
    "huge-count": (
        _json({**GOOD, "id": "h:6", "text": "ok", "author": {"followers": 10**30}}),
        "schema_error",
    ),
    "huge-record": (b'{"text": "' + b"a" * 900_000 + b'"}', "oversized"),
    "not-utf8": (b"\xc3\x28\xff", "invalid_utf8"),
    "not-an-object": (b"[1, 2, 3]", "schema_error"),
    "poison": (
        _json({**GOOD, "id": "h:7", "text": f"the election was stolen {POISON}"}),
        "step_failed",
    ),
}
HOSTILE_HITS: dict[str, tuple[bytes, str]] = {
    "hit-deep": (b"{" * 10_000, "schema_error"),
    "hit-garbage": (b"\x00\xff not a hit", "schema_error"),
}


def test_hostile_records_are_dead_lettered_and_the_worker_processes_everything_else(
    stack: Settings,
    es: Any,
    matcher: Any,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    settings = scenario_settings(stack, tmp_path)
    bootstrap = settings.kafka.bootstrap
    posts = make_posts(24, "h")
    good = post_records(posts)
    bad = [(f"bad-{name}".encode(), raw) for name, (raw, _) in HOSTILE_POSTS.items()]
    records = [r for pair in zip(good, bad, strict=False) for r in pair] + good[len(bad) :]
    worker = WorkerProcess(settings, tmp_path / "worker.log", entry=ENTRY)
    try:
        worker.start()
        worker.wait_ready()
        pid = worker.proc.pid if worker.proc else None
        produce(bootstrap, settings.topics.posts, records)
        hostile_hits = [(f"bad-{n}".encode(), raw) for n, (raw, _) in HOSTILE_HITS.items()]
        produce(bootstrap, settings.topics.hits, hostile_hits)
        expected = expected_hit_ids(matcher, posts)
        # A hostile hits record is refused twice: by the indexer and by the spike agent.
        n_dead = len(HOSTILE_POSTS) + 2 * len(HOSTILE_HITS)
        samples = wait_for(
            worker,
            lambda s: (
                total(s, "narrmon_posts_consumed_total") >= len(records)
                and total(s, "narrmon_posts_processed_total") >= len(posts)
                and total(s, "narrmon_dead_lettered_total") >= n_dead
                and total(s, "narrmon_hits_indexed_total") >= len(expected)
            ),
            timeout_s=240,
        )
        assert worker.proc is not None and worker.proc.poll() is None
        assert worker.proc.pid == pid, "the worker was never restarted"
        assert total(samples, "narrmon_posts_processed_total") == len(posts)
        assert sorted(index_ids(es, settings)) == sorted(expected)

        letters = [
            DeadLetter.model_validate_json(v)
            for v in read_topic(bootstrap, settings.topics.dead_letter, n_dead)
        ]
        by_key: dict[str | None, list[DeadLetter]] = {}
        for letter in letters:
            by_key.setdefault(letter.key, []).append(letter)
        assert len(letters) == n_dead
        for name, (raw, reason) in {**HOSTILE_POSTS, **HOSTILE_HITS}.items():
            sources = {"hits", "spikes"} if name in HOSTILE_HITS else {None}
            assert len(by_key[f"bad-{name}"]) == len(sources), name
            for letter in by_key[f"bad-{name}"]:
                assert letter.reason == reason, (name, letter.error)
                assert letter.original_size == len(raw)
                assert raw.startswith(letter.original())
            if name in HOSTILE_HITS:
                assert {d.source for d in by_key[f"bad-{name}"]} == sources
        assert by_key["bad-huge-record"][0].original_truncated
        assert by_key["bad-poison"][0].error.startswith("ValueError")
        assert total(samples, "narrmon_dead_lettered_total", reason="step_failed") == 1
    finally:
        worker.stop()
        cleanup(es, settings, bootstrap)
