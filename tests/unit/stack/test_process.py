"""Pid files, liveness by command-line marker, and stopping only our own processes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pipeline.stack import process


def test_pid_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "run" / "svc.pid"
    record = process.PidRecord(pid=1234, marker="/state/svc.yml", started_at=1.5)
    process.write_pid_file(path, record)
    assert process.read_pid_file(path) == record


def test_missing_or_corrupt_pid_file_reads_as_none(tmp_path: Path) -> None:
    assert process.read_pid_file(tmp_path / "absent.pid") is None
    corrupt = tmp_path / "corrupt.pid"
    corrupt.write_text("not json", encoding="utf-8")
    assert process.read_pid_file(corrupt) is None
    corrupt.write_text('{"pid": "x"}', encoding="utf-8")
    assert process.read_pid_file(corrupt) is None


def _sleeper(tmp_path: Path, marker: str) -> tuple[Path, int]:
    pid_file = tmp_path / "sleeper.pid"
    argv = [sys.executable, "-c", "import time; time.sleep(60)", marker]
    pid = process.spawn(argv, log_file=tmp_path / "sleeper.log", pid_file=pid_file, marker=marker)
    return pid_file, pid


def test_spawn_records_pid_and_stop_terminates_it(tmp_path: Path) -> None:
    marker = str(tmp_path / "sleeper-marker")
    pid_file, pid = _sleeper(tmp_path, marker)
    assert process.running_pid(pid_file) == pid
    assert "starting" in (tmp_path / "sleeper.log").read_text(encoding="utf-8")

    assert process.stop(pid_file, grace_s=5) is True
    assert process.exited(pid)
    assert not pid_file.exists()
    assert process.stop(pid_file) is False


def test_a_live_pid_without_our_marker_is_neither_reported_nor_signalled(tmp_path: Path) -> None:
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        pid_file = tmp_path / "svc.pid"
        record = process.PidRecord(pid=stranger.pid, marker="/not/in/its/cmdline", started_at=0)
        process.write_pid_file(pid_file, record)
        assert process.running_pid(pid_file) is None
        assert process.stop(pid_file, grace_s=1) is False
        time.sleep(0.2)
        assert stranger.poll() is None, "stop() signalled a process that is not ours"
        assert not pid_file.exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_stop_kills_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    marker = str(tmp_path / "stubborn-marker")
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    pid_file = tmp_path / "stubborn.pid"
    pid = process.spawn(
        [sys.executable, "-c", code, marker],
        log_file=tmp_path / "stubborn.log",
        pid_file=pid_file,
        marker=marker,
    )
    time.sleep(0.5)  # let it install the handler
    started = time.monotonic()
    assert process.stop(pid_file, grace_s=1) is True
    assert process.exited(pid)
    assert time.monotonic() - started < 5
