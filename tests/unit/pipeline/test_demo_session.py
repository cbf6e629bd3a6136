"""A demo kept running: found through its handoff file and live worker pid, used by default by
the read commands, and stopped by ``narrmon demo --stop``."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.demo import demo_settings
from pipeline.demo_runs import write_handoff
from pipeline.demo_session import is_demo_worker, read_dotenv, running_demo
from pipeline.settings import Settings


@pytest.fixture
def fake_worker() -> Iterator[subprocess.Popen[bytes]]:
    """A process whose command line looks like the demo's worker child."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)  # pipeline.cli", "worker"]
    )
    # Until the child has exec'd, /proc/<pid>/cmdline is still the forked test runner's.
    deadline = time.monotonic() + 10
    while not is_demo_worker(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("ENV_FILE", "CATALOG__PATH", "ELASTICSEARCH__INDEX_PREFIX"):
        monkeypatch.delenv(f"NARRMON_{name}", raising=False)
    monkeypatch.setenv("NARRMON_STATE_DIR", str(tmp_path))
    return tmp_path


def test_read_dotenv() -> None:
    assert read_dotenv("# c\nA=1\n\n B = x=y \nnoise\n") == {"A": "1", "B": "x=y"}


def test_a_demo_runs_while_its_worker_lives(
    state: Path, fake_worker: subprocess.Popen[bytes]
) -> None:
    run = demo_settings(Settings(state_dir=state), "abcd1234")
    assert running_demo(state) is None
    write_handoff(run, worker_pid=fake_worker.pid)
    found = running_demo(state)
    assert found is not None
    assert found.worker_pid == fake_worker.pid
    assert found.index_prefix == "narrmon-demo-abcd1234"
    assert not is_demo_worker(1)  # a live process that is not a worker never counts

    fake_worker.kill()
    fake_worker.wait()
    assert running_demo(state) is None


def test_read_commands_use_the_running_demo_unless_told_otherwise(
    state: Path, fake_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli.context import load_settings

    run = demo_settings(Settings(state_dir=state), "abcd1234")
    write_handoff(run, worker_pid=fake_worker.pid)
    assert load_settings(announce=False).elasticsearch.index_prefix == "narrmon-demo-abcd1234"
    monkeypatch.setenv("NARRMON_ELASTICSEARCH__INDEX_PREFIX", "mine")
    assert load_settings(announce=False).elasticsearch.index_prefix == "mine"


def test_demo_stop_stops_the_worker_and_forgets_the_run(
    state: Path, fake_worker: subprocess.Popen[bytes]
) -> None:
    write_handoff(demo_settings(Settings(state_dir=state), "abcd1234"), fake_worker.pid)
    result = CliRunner().invoke(main, ["demo", "--stop"])
    assert result.exit_code == 0, result.output
    assert f"stopped demo worker {fake_worker.pid}" in result.output
    assert fake_worker.wait(timeout=10) is not None
    assert not (state / "demo" / "latest.env").exists()
    again = CliRunner().invoke(main, ["demo", "--stop"])
    assert again.output.strip() == "no demo is running"
