"""Pid files, spawning and stopping of the stack's service processes (Linux only).

Contracts:
- `spawn` starts a service detached in its own session (so it is also its own process group),
  with stdin closed and stdout+stderr appended to the service's log. It returns at once.
- A pid file is JSON ``{"pid": int, "marker": str, "started_at": float}``. The marker is a string
  that must appear in the process's command line (e.g. the path of its rendered config under the
  state dir); `running_pid` and `stop` check it before trusting the pid, so a recycled pid that now
  belongs to an unrelated process is never reported as ours nor signalled.
- `stop` sends SIGTERM to the service's process group, waits up to `grace_s`, then SIGKILL. It only
  ever signals a process whose command line still carries the marker.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from models.files import write_atomic

logger = logging.getLogger(__name__)

# Popen objects of services this process started, kept so they are reaped (no zombies, no
# "subprocess still running" warnings) when a long-lived caller such as a pytest session stops them.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class PidRecord:
    pid: int
    marker: str
    started_at: float


def write_pid_file(path: Path, record: PidRecord) -> None:
    """Write `record` atomically (a temp file unique to this call, then rename)."""
    payload = {"pid": record.pid, "marker": record.marker, "started_at": record.started_at}
    write_atomic(path, json.dumps(payload) + "\n")


def read_pid_file(path: Path) -> PidRecord | None:
    """The record in `path`, or None when it is missing or unreadable (corrupt: ignored)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return PidRecord(
            pid=int(raw["pid"]), marker=str(raw["marker"]), started_at=float(raw["started_at"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def cmdline(pid: int) -> str | None:
    """The command line of a live (non-zombie) process joined by spaces, or None."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    if not raw:  # zombies and kernel threads have an empty cmdline
        return None
    return raw.replace(b"\0", b" ").decode("utf-8", errors="replace").strip()


def is_ours(pid: int, marker: str) -> bool:
    """True when `pid` is alive and its command line contains `marker`."""
    line = cmdline(pid)
    return line is not None and marker in line


def running_pid(pid_file: Path) -> int | None:
    """The pid recorded in `pid_file` if that process is alive and still ours, else None."""
    record = read_pid_file(pid_file)
    if record is None or not is_ours(record.pid, record.marker):
        return None
    return record.pid


def spawn(
    argv: Sequence[str],
    *,
    log_file: Path,
    pid_file: Path,
    marker: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start `argv` detached, logging to `log_file`, and record it in `pid_file`. Non-blocking.

    Raises `OSError` when the program cannot be executed.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        banner = f"\n--- narrmon: starting {' '.join(argv)} at {time.strftime('%FT%T%z')}\n"
        log.write(banner.encode())
        log.flush()
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            close_fds=True,
        )
    _CHILDREN[child.pid] = child
    # Popen returns as soon as exec starts; the kernel fills in the new command line a moment
    # later. Wait for it so an immediate `running_pid` does not see an empty or stale cmdline.
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and child.poll() is None and not is_ours(child.pid, marker):
        time.sleep(0.01)
    write_pid_file(pid_file, PidRecord(pid=child.pid, marker=marker, started_at=time.time()))
    logger.info("started pid %d: %s (log %s)", child.pid, argv[0], log_file)
    return child.pid


def exited(pid: int) -> bool:
    """True once `pid` is gone (or a zombie); reaps it when this process is its parent."""
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)
        return True
    return cmdline(pid) is None


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop(pid_file: Path, *, grace_s: float = 20.0) -> bool:
    """Stop the process recorded in `pid_file` (SIGTERM, then SIGKILL after `grace_s`).

    Returns True when a running process of ours was stopped, False when there was nothing to stop.
    The pid file is removed in both cases. Blocks for at most about `grace_s` + 5 seconds.
    """
    record = read_pid_file(pid_file)
    if record is None or not is_ours(record.pid, record.marker):
        if record is not None:
            logger.info("pid %d from %s is not ours any more; not signalling", record.pid, pid_file)
        pid_file.unlink(missing_ok=True)
        return False
    pid = record.pid
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if exited(pid):
            break
        time.sleep(0.2)
    else:
        logger.warning("pid %d ignored SIGTERM for %.0fs; sending SIGKILL", pid, grace_s)
        _signal_group(pid, signal.SIGKILL)
        kill_deadline = time.monotonic() + 5.0
        while time.monotonic() < kill_deadline and not exited(pid):
            time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    return True
