"""Leases of `narrmon demo` runs in progress, so that a demo prunes only runs nobody is running.

A run holds ``<state_dir>/demo/runs/<run_id>.pid`` (the demo process's pid) while it runs; a
lease whose process has gone (a finished or killed demo) is stale and removed when read. A run
kept with ``--keep-running`` holds no lease once its command has returned: the next demo replaces
it, as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def lease_dir(state_dir: Path) -> Path:
    return state_dir / "demo" / "runs"


def pid_alive(pid: int) -> bool:
    """Whether a process with `pid` exists (signal 0; a process of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def hold_run(state_dir: Path, run_id: str) -> Iterator[Path]:
    """Hold the lease of `run_id` for the duration of the block (the file is removed after)."""
    folder = lease_dir(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}.pid"
    path.write_text(str(os.getpid()), encoding="utf-8")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def active_runs(state_dir: Path, alive: Callable[[int], bool] = pid_alive) -> set[str]:
    """Run ids whose lease names a live process; stale or unreadable leases are removed."""
    folder = lease_dir(state_dir)
    if not folder.is_dir():
        return set()
    active: set[str] = set()
    for path in folder.glob("*.pid"):
        try:
            pid = int(path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            pid = 0
        if pid > 0 and alive(pid):
            active.add(path.stem)
        else:
            path.unlink(missing_ok=True)
    return active
