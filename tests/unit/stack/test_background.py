"""`narrmon stack down` stops the background processes narrmon recorded (demo workers, APIs) and
every service with a live pid file, on a throwaway state dir with real child processes."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.settings import Settings
from pipeline.stack import background, process
from pipeline.stack.layout import StackLayout
from pipeline.stack.stack import down, status

SLEEP = "import time; time.sleep(120)"
IGNORE_TERM = (
    "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(120)"
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait()


def _start(
    children: list[subprocess.Popen[bytes]], code: str, *extra: str
) -> tuple[subprocess.Popen[bytes], list[str]]:
    argv = [sys.executable, "-c", code, *extra]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True)
    children.append(child)
    return child, argv


def test_down_stops_recorded_workers_even_one_that_ignores_sigterm(
    settings: Settings, children: list[subprocess.Popen[bytes]]
) -> None:
    layout = StackLayout.of(settings)
    polite, polite_argv = _start(children, SLEEP, "worker-a")
    stubborn, stubborn_argv = _start(children, IGNORE_TERM, "worker-b")
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    assert background.record(layout.background_dir, "worker", polite.pid, polite_argv)
    assert background.record(layout.background_dir, "api", stubborn.pid, stubborn_argv)
    listed = {s.pid for s in status(settings) if s.name.endswith("(background)")}
    assert listed == {polite.pid, stubborn.pid}

    began = time.monotonic()
    stopped = down(settings, grace_s=1.0)
    elapsed = time.monotonic() - began

    assert set(stopped) == {f"worker (pid {polite.pid})", f"api (pid {stubborn.pid})"}
    assert polite.wait(timeout=1) == -15  # SIGTERM
    assert stubborn.wait(timeout=1) == -9  # SIGKILL after the grace
    assert 1.0 <= elapsed < 1.0 + background.KILL_WAIT_S
    assert list(layout.background_dir.glob("*.json")) == []
    assert down(settings, grace_s=1.0) == []


def test_a_recycled_pid_is_neither_listed_nor_signalled(
    settings: Settings, children: list[subprocess.Popen[bytes]]
) -> None:
    layout = StackLayout.of(settings)
    stranger, argv = _start(children, SLEEP, "not-narrmon")
    real = background.record(layout.background_dir, "worker", stranger.pid, argv)
    assert real is not None
    # The same pid, but another start time or command line: another process got the pid.
    for fake in (
        dataclasses.replace(real, start_ticks=real.start_ticks - 1),
        dataclasses.replace(real, cmdline=real.cmdline + " x"),
    ):
        background.record_path(layout.background_dir, fake).write_text(
            json.dumps(dataclasses.asdict(fake)), encoding="utf-8"
        )
        assert background.running(layout.background_dir) == []
        assert down(settings, grace_s=0.5) == []
        assert stranger.poll() is None, "down() signalled a process that is not ours"
        assert list(layout.background_dir.glob("*.json")) == []


def test_record_of_a_process_that_already_exited_is_not_written(
    settings: Settings, children: list[subprocess.Popen[bytes]]
) -> None:
    gone, argv = _start(children, "pass")
    gone.wait()
    directory = StackLayout.of(settings).background_dir
    assert background.record(directory, "worker", gone.pid, argv) is None
    assert not directory.exists() or list(directory.iterdir()) == []


def test_down_stops_the_alert_receiver_even_when_settings_no_longer_enable_it(
    settings: Settings, tmp_path: Path
) -> None:
    assert settings.prometheus.alert_receiver is False
    layout = StackLayout.of(settings)
    marker = str(layout.service_dir("alert-receiver") / "alerts.jsonl")
    pid = process.spawn(
        [sys.executable, "-c", SLEEP, marker],
        log_file=layout.log_file("alert-receiver"),
        pid_file=layout.pid_file("alert-receiver"),
        marker=marker,
    )
    assert down(settings, grace_s=2.0) == ["alert-receiver"]
    assert process.exited(pid)
