"""Pure parts of demo housekeeping: which names belong to earlier runs, the hand-off dotenv."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.demo import demo_settings
from pipeline.demo_runs import TOPIC_PREFIXES, handoff_env, stale_names, write_handoff
from pipeline.settings import Settings


def test_stale_names_keep_the_current_run_and_foreign_names() -> None:
    names = [
        "demo-aaaa1111.posts",
        "demo-bbbb2222.hits",
        "narrmon-demo-aaaa1111-spike-counts-changelog",
        "narrmon-demo-cccc3333-spike-baselines-changelog",
        "posts",
        "narrmon-hits-2026.11",
        "__consumer_offsets",
    ]
    assert stale_names(names, TOPIC_PREFIXES, {"aaaa1111"}) == [
        "demo-bbbb2222.hits",
        "narrmon-demo-cccc3333-spike-baselines-changelog",
    ]
    # a run still in progress (a live lease) is kept too
    assert stale_names(names, TOPIC_PREFIXES, {"aaaa1111", "bbbb2222"}) == [
        "narrmon-demo-cccc3333-spike-baselines-changelog",
    ]


def test_handoff_env_points_other_commands_at_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = demo_settings(Settings(state_dir=tmp_path), "abcd1234")
    text = handoff_env(run)
    assert "NARRMON_ELASTICSEARCH__INDEX_PREFIX=narrmon-demo-abcd1234\n" in text
    assert "NARRMON_TOPICS__REVIEWS=demo-abcd1234.reviews\n" in text
    assert "TOKEN" not in text and "API_KEY" not in text

    path = write_handoff(run)
    assert path == tmp_path / "demo" / "latest.env"
    monkeypatch.setenv("NARRMON_ENV_FILE", str(path))
    loaded = Settings.load()
    assert loaded.elasticsearch.index_prefix == run.elasticsearch.index_prefix
    assert loaded.catalog.path == run.catalog.path
    assert loaded.topics == run.topics


def test_metrics_count_only_when_served_by_our_worker() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from pipeline.metrics import Metrics
    from pipeline.worker_process import parse_metrics, served_by

    metrics = Metrics(CollectorRegistry())
    metrics.worker.info({"app_id": "narrmon", "pid": "4242"})
    samples = parse_metrics(generate_latest(metrics.registry).decode())
    assert served_by(samples, 4242)
    assert not served_by(samples, 4243)
    assert not served_by({}, 4242)


def test_demo_moves_its_worker_off_a_taken_metrics_port(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        base = Settings(state_dir=tmp_path)
        base = base.model_copy(
            update={"worker": base.worker.model_copy(update={"metrics_port": port})}
        )
        run = demo_settings(base, "abcd1234")
    assert run.worker.metrics_port != port
