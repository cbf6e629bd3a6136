"""Processes narrmon starts in the background besides the stack's services (Linux only).

`narrmon demo` starts a worker (about 1.4 GB) and, with ``--keep-running``, leaves it running after
it exits; other launchers (a demo API) may do the same. Each such process is recorded in
``<state>/run/background/<name>-<pid>.json`` so that `narrmon stack down` can stop it.

Contracts:
- A record is JSON ``{"name", "pid", "start_ticks", "cmdline", "started_at", "log", "url"}``.
  ``start_ticks`` is the process's start time (field 22 of ``/proc/<pid>/stat``, clock ticks since
  boot) and ``cmdline`` its command line, both read from ``/proc`` when it is recorded. A record
  names our process only while a live process with that pid has the same start time AND the same
  command line, so a recycled pid is never reported nor signalled.
- `record` returns at once (it waits at most 2 s for a fresh child's command line to appear);
  `running` drops records whose process is gone; `stop_all` sends SIGTERM to every recorded
  process (its process group when it leads one), waits up to ``grace_s`` for all of them together,
  SIGKILLs the rest and waits up to 5 s more. Records are written atomically
  (`models.files.write_atomic`).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from models.files import write_atomic
from pipeline.stack.process import cmdline

logger = logging.getLogger(__name__)

KILL_WAIT_S = 5.0


@dataclass(frozen=True)
class BackgroundProcess:
    name: str
    pid: int
    start_ticks: int
    cmdline: str
    started_at: float
    log: str | None = None
    url: str | None = None


def start_ticks(pid: int) -> int | None:
    """The start time of `pid` in clock ticks since boot, or None when it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 overall; fields[0] is field 3
    except (IndexError, ValueError):
        return None


def is_ours(proc: BackgroundProcess) -> bool:
    """True while `proc.pid` is alive with the recorded start time and command line."""
    return start_ticks(proc.pid) == proc.start_ticks and cmdline(proc.pid) == proc.cmdline


def record_path(directory: Path, proc: BackgroundProcess) -> Path:
    return directory / f"{proc.name}-{proc.pid}.json"


def record(
    directory: Path,
    name: str,
    pid: int,
    argv: Sequence[str],
    *,
    log: Path | None = None,
    url: str | None = None,
) -> BackgroundProcess | None:
    """Record the freshly started `pid` (started with `argv`) under `directory`.

    Returns the record, or None when the process is already gone (nothing is written)."""
    expected = " ".join(argv).strip()
    deadline = time.monotonic() + 2.0
    line = cmdline(pid)
    # Right after fork the child may still carry the parent's command line: wait for exec.
    while line != expected and time.monotonic() < deadline:
        time.sleep(0.01)
        line = cmdline(pid)
    ticks = start_ticks(pid)
    if line is None or ticks is None:
        return None
    proc = BackgroundProcess(
        name=name,
        pid=pid,
        start_ticks=ticks,
        cmdline=line,
        started_at=time.time(),
        log=None if log is None else str(log),
        url=url,
    )
    write_atomic(record_path(directory, proc), json.dumps(asdict(proc)) + "\n")
    return proc


def forget(directory: Path, proc: BackgroundProcess) -> None:
    """Remove `proc`'s record (after its owner stopped it)."""
    record_path(directory, proc).unlink(missing_ok=True)


def _read(path: Path) -> BackgroundProcess | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return BackgroundProcess(
            name=str(raw["name"]),
            pid=int(raw["pid"]),
            start_ticks=int(raw["start_ticks"]),
            cmdline=str(raw["cmdline"]),
            started_at=float(raw["started_at"]),
            log=None if raw.get("log") is None else str(raw["log"]),
            url=None if raw.get("url") is None else str(raw["url"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running(directory: Path) -> list[BackgroundProcess]:
    """The recorded processes that are still ours and alive; records of any other (gone,
    recycled pid, unreadable) are removed. Ordered by start time."""
    alive = []
    for path in sorted(directory.glob("*.json")):
        proc = _read(path)
        if proc is not None and is_ours(proc):
            alive.append(proc)
        else:
            logger.info("dropping background record %s: its process is gone", path.name)
            path.unlink(missing_ok=True)
    return sorted(alive, key=lambda p: p.started_at)


def _signal(proc: BackgroundProcess, sig: signal.Signals) -> None:
    if not is_ours(proc):
        return
    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(procs: list[BackgroundProcess], seconds: float) -> list[BackgroundProcess]:
    deadline = time.monotonic() + seconds
    left = [p for p in procs if is_ours(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in left if is_ours(p)]
    return left


def stop_all(directory: Path, *, grace_s: float = 20.0) -> list[BackgroundProcess]:
    """Stop every recorded background process (see the module doc); return those stopped.

    Blocks for at most about `grace_s` + 5 seconds whatever the number of processes."""
    procs = running(directory)
    for proc in procs:
        logger.info("stopping %s (pid %d)", proc.name, proc.pid)
        _signal(proc, signal.SIGTERM)
    stubborn = _wait_gone(procs, grace_s)
    for proc in stubborn:
        logger.warning(
            "%s (pid %d) ignored SIGTERM for %.0fs; SIGKILL", proc.name, proc.pid, grace_s
        )
        _signal(proc, signal.SIGKILL)
    for proc in _wait_gone(stubborn, KILL_WAIT_S):
        logger.error("%s (pid %d) still runs after SIGKILL", proc.name, proc.pid)
    for proc in procs:
        if not is_ours(proc):
            forget(directory, proc)
    return procs
