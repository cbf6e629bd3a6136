"""The connectors file (validation with file, line and field) and the supervisor's restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from connectors.live.backoff import BackoffPolicy
from connectors.live.config import SourcesFileError, load_sources_file
from connectors.live.metrics import SOURCE_RESTARTS, LiveMetrics
from connectors.live.supervisor import supervise
from models.errors import InvalidRecord
from models.post_events import PostDeleted, parse_post_event

EXAMPLE = Path(__file__).parents[4] / "deploy" / "connectors.example.yaml"


def test_the_example_file_validates() -> None:
    specs = load_sources_file(EXAMPLE)
    assert specs and len({spec.name for spec in specs}) == len(specs)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("sources:\n  - name: a\n    kind: nope\n", "3: sources.0.kind"),
        ("sources:\n  - name: a\n    kind: bluesky\n    options:\n      rewind_s: -1\n",
         "5: sources.0.options.rewind_s"),
        ("sources:\n  - name: a\n    kind: bluesky\n  - name: a\n    kind: bluesky\n",
         "4: sources.1.name"),
        ("sources:\n  - name: a\n    kind: bluesky\n    colour: red\n", "4: sources.0.colour"),
        ("sources: [\n", "line 2"),
    ],
)  # fmt: skip
def test_a_bad_file_fails_with_file_line_and_field(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(SourcesFileError) as caught:
        load_sources_file(path)
    assert str(path) in str(caught.value) and where in str(caught.value)


def test_a_crashed_source_is_restarted_with_backoff_and_a_clean_end_is_final() -> None:
    calls: dict[str, int] = {"flaky": 0, "steady": 0}

    async def run_one(name: str, stop: asyncio.Event) -> dict[str, Any]:
        calls[name] += 1
        if name == "flaky" and calls[name] == 1:
            raise RuntimeError("boom")
        if name == "flaky" and calls[name] == 2:
            return {"source": name, "error": "rejected: HTTP 401"}
        return {"source": name, "error": None, "published": calls[name]}

    registry = CollectorRegistry()
    results = asyncio.run(
        supervise(
            ["flaky", "steady"],
            run_one,
            asyncio.Event(),
            name_of=str,
            restart=BackoffPolicy(initial_s=0.05, max_s=0.05, jitter=0),
            metrics=LiveMetrics(registry),
        )
    )
    assert calls == {"flaky": 3, "steady": 1}
    assert [(r["source"], r["restarts"], r["error"]) for r in results] == [
        ("flaky", 2, None),
        ("steady", 0, None),
    ]
    assert registry.get_sample_value(f"{SOURCE_RESTARTS}_total", {"source": "flaky"}) == 2


def test_supervision_gives_up_after_max_restarts() -> None:
    async def run_one(name: str, stop: asyncio.Event) -> dict[str, Any]:
        return {"source": name, "error": "always"}

    restart = BackoffPolicy(initial_s=0.05, max_s=0.05, jitter=0)
    (result,) = asyncio.run(
        supervise(["x"], run_one, asyncio.Event(), name_of=str, restart=restart, max_restarts=1)
    )
    assert result == {"source": "x", "error": "always", "restarts": 1}


def test_a_source_stopped_mid_retry_keeps_its_last_error() -> None:
    """The stop can land while a failing source's retry is connecting: that run ends cleanly
    having read nothing, but the source never got in, so its last error is still reported."""

    async def main() -> list[dict[str, Any]]:
        stop = asyncio.Event()
        calls = 0

        async def run_one(name: str, stop_: asyncio.Event) -> dict[str, Any]:
            nonlocal calls
            calls += 1
            if calls == 1:
                return {"source": name, "error": "rejected: HTTP 401", "read": 0}
            stop_.set()  # the stop arrives during the retry
            return {"source": name, "error": None, "read": 0}

        restart = BackoffPolicy(initial_s=0.01, max_s=0.01, jitter=0)
        return await supervise(["masto"], run_one, stop, name_of=str, restart=restart)

    (result,) = asyncio.run(main())
    assert result["error"] == "rejected: HTTP 401"
    assert result["restarts"] == 1


def test_a_source_stopped_during_its_restart_backoff_counts_the_restart() -> None:
    """The restart metric is counted when the restart is scheduled; a stop that lands during the
    backoff must report the same count in the summary (the metric said 1, the summary 0)."""

    async def main() -> tuple[list[dict[str, Any]], CollectorRegistry]:
        stop = asyncio.Event()

        async def run_one(name: str, stop_: asyncio.Event) -> dict[str, Any]:
            asyncio.get_running_loop().call_later(0.05, stop_.set)  # during the 10 s backoff
            return {"source": name, "error": "rejected: HTTP 401", "read": 0}

        registry = CollectorRegistry()
        restart = BackoffPolicy(initial_s=10, max_s=10, jitter=0)
        results = await supervise(
            ["masto"], run_one, stop, name_of=str, restart=restart, metrics=LiveMetrics(registry)
        )
        return results, registry

    (result,), registry = asyncio.run(main())
    assert result["error"] == "rejected: HTTP 401"
    assert result["restarts"] == 1
    assert registry.get_sample_value(f"{SOURCE_RESTARTS}_total", {"source": "masto"}) == 1


def test_post_events_round_trip_and_bad_ones_are_invalid_records() -> None:
    from datetime import UTC, datetime

    event = PostDeleted(
        post_id="bluesky:at://x", platform="bluesky", source="s", deleted_at=datetime.now(UTC)
    )
    assert parse_post_event(event.model_dump_json()) == event
    with pytest.raises(InvalidRecord) as caught:
        parse_post_event(b'{"type": "post_exploded"}')
    assert caught.value.reason == "schema_error"
    with pytest.raises(InvalidRecord) as caught:
        parse_post_event(b"{")
    assert caught.value.reason == "malformed_json"
