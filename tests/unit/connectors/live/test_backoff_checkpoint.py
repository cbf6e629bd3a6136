"""Backoff delays and atomic checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.live.backoff import MIN_DELAY_S, Backoff, BackoffPolicy
from connectors.live.checkpoint import CheckpointError, CheckpointStore
from connectors.live.transport import retry_after_seconds


def test_exponential_delays_grow_to_the_cap_and_jitter_only_shortens() -> None:
    policy = BackoffPolicy(initial_s=1, max_s=8, jitter=0.5)
    assert [policy.delay(n, rng=lambda: 0.0) for n in range(5)] == [1, 2, 4, 8, 8]
    assert policy.delay(2, rng=lambda: 1.0) == 2.0


def test_linear_delays_as_x_documents_for_network_errors() -> None:
    policy = BackoffPolicy(initial_s=0.25, max_s=16, growth="linear", jitter=0)
    assert [policy.delay(n) for n in (0, 1, 3, 100)] == [0.25, 0.5, 1.0, 16]


def test_retry_after_wins_when_longer_and_reset_starts_over() -> None:
    backoff = Backoff({"network": BackoffPolicy(initial_s=1, max_s=60, jitter=0)})
    assert backoff.next_delay("network") == 1
    assert backoff.next_delay("network") == 2
    assert backoff.next_delay("network", retry_after_s=30) == 30
    backoff.reset()
    assert backoff.next_delay("network") == 1
    assert (
        Backoff({"network": BackoffPolicy(0.001, 0.001, jitter=0)}).next_delay("x") == MIN_DELAY_S
    )


def test_retry_after_header_in_seconds_or_as_a_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2024, 11, 6, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds("Wed, 06 Nov 2024 12:00:30 GMT", now) == 30
    assert retry_after_seconds("soon", now) is None


def test_checkpoints_round_trip_atomically(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "state", "bluesky/main")
    assert store.load() is None
    store.save({"cursor": 1730851200001000})
    store.save({"cursor": 1730851200002000})
    assert store.load() == {"cursor": 1730851200002000}
    assert store.path.name == "bluesky_main.json"
    assert [p.name for p in store.path.parent.iterdir()] == ["bluesky_main.json"]


def test_a_corrupt_checkpoint_fails_naming_the_file(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "s")
    store.path.write_text("{half")
    with pytest.raises(CheckpointError, match=r"s\.json: line 1"):
        store.load()
