"""A demo left running by ``narrmon demo --keep-running``: find it and stop it.

The demo hands itself over through ``<state_dir>/demo/latest.env`` (`pipeline.demo_runs`): the
run's index prefix, topics and catalog, plus the worker's pid under `WORKER_PID_KEY`. A demo is
*running* while that pid is alive and is a narrmon worker (the command line is checked, so a
recycled pid never counts). Read commands of the CLI use it by default; ``narrmon demo --stop``
stops its worker and removes the file. Linux only (reads ``/proc``); blocking.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

WORKER_PID_KEY = "NARRMON_DEMO_WORKER_PID"
"""The handoff file's key for the kept worker's pid (ignored by `Settings`)."""


def handoff_path(state_dir: Path) -> Path:
    """Where ``narrmon demo --keep-running`` writes its handoff dotenv."""
    return state_dir / "demo" / "latest.env"


def read_dotenv(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines (blank lines and ``#`` comments skipped); pure."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def is_demo_worker(pid: int) -> bool:
    """Whether `pid` is a live (not zombie) ``narrmon worker`` process."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    args = cmdline.split(b"\0")
    return b"worker" in args and any(b"pipeline.cli" in a or a.endswith(b"narrmon") for a in args)


@dataclass(frozen=True)
class RunningDemo:
    env_file: Path
    worker_pid: int
    index_prefix: str


def running_demo(state_dir: Path) -> RunningDemo | None:
    """The demo kept running from `state_dir`, or None (no handoff, or its worker is gone)."""
    path = handoff_path(state_dir)
    try:
        values = read_dotenv(path.read_text(encoding="utf-8"))
    except OSError:
        return None
    pid = values.get(WORKER_PID_KEY, "")
    if not pid.isdigit() or not is_demo_worker(int(pid)):
        return None
    return RunningDemo(
        env_file=path,
        worker_pid=int(pid),
        index_prefix=values.get("NARRMON_ELASTICSEARCH__INDEX_PREFIX", ""),
    )


def stop_demo_api(state_dir: Path) -> int | None:
    """SIGTERM the demo's API (`pipeline.demo_api`) named in the handoff file, if it still runs
    as a ``narrmon api`` process; returns its pid or None."""
    from pipeline.demo_api import API_PID_KEY, is_demo_api

    try:
        values = read_dotenv(handoff_path(state_dir).read_text(encoding="utf-8"))
    except OSError:
        return None
    pid = values.get(API_PID_KEY, "")
    if not pid.isdigit() or not is_demo_api(int(pid)):
        return None
    os.kill(int(pid), signal.SIGTERM)
    return int(pid)


def stop_demo(state_dir: Path, grace_s: float = 30.0) -> RunningDemo | None:
    """Stop the running demo's worker (SIGTERM, SIGKILL after `grace_s`) and its API, and remove
    the handoff file. Returns what was stopped, or None when no demo was running (a stale
    handoff file is removed all the same). The stack and the run's index are left alone."""
    stop_demo_api(state_dir)
    demo = running_demo(state_dir)
    if demo is not None:
        os.kill(demo.worker_pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while is_demo_worker(demo.worker_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if is_demo_worker(demo.worker_pid):
            logger.warning("demo worker %d ignored SIGTERM, killing it", demo.worker_pid)
            os.kill(demo.worker_pid, signal.SIGKILL)
    handoff_path(state_dir).unlink(missing_ok=True)
    return demo
