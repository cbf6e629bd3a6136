"""Announce a ``/metrics`` endpoint to Prometheus through file-based service discovery (file_sd),
with target files that cannot go stale.

`write_target_file(directory, job, name, host_port, ttl_s=...)` writes
``<directory>/<job>--<name>.json``; a Prometheus whose ``file_sd_configs`` for `job` read
`directory` picks it up within its refresh interval (no restart, no reload). Each target carries
the label ``instance_name=<name>`` plus discovery-only labels naming its owner process
(``__meta_narrmon_host``, ``__meta_narrmon_pid``, ``__meta_narrmon_started``): Prometheus shows them
on its service-discovery page and drops them before scraping.

Lifecycle of a target:

- **clean stop**: `remove_target_file(path)` removes the file (idempotent);
- **alive**: a daemon thread of the registering process touches the file every
  `heartbeat_interval(ttl_s)` seconds (its mtime is the heartbeat);
- **died** (SIGKILL, OOM, a crash that skipped clean-up): the file stays, so Prometheus keeps
  scraping the dead address and ``WorkerDown`` fires for it; once its heartbeat is older than
  `ttl_s` and its owner is not a live process on this host, `sweep_expired` deletes it. Sweeps run
  on every registration and every heartbeat of any live registrant (and on ``narrmon stack up`` /
  ``stack status`` for the local stack, `pipeline.stack.targets`).

Runtime code (`narrmon worker`, `narrmon ingest --metrics-port`) only writes here when given a
directory (``--register-with DIR``, an opt-in `ScrapeHook`); it never knows where a local
Prometheus keeps its files. `narrmon stack` / `narrmon demo` know that directory (the dev stack's
layout) and pass it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.files import write_atomic

logger = logging.getLogger(__name__)

JOBS: tuple[str, ...] = ("narrmon-worker", "narrmon-connector", "narrmon-test")
"""The jobs narrmon's Prometheus configuration reads file_sd files for."""

DEFAULT_TTL_S = 900.0
"""How long a dead process's target is kept (so ``WorkerDown`` names it) before it is dropped."""

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
_HOST, _PID, _STARTED = "__meta_narrmon_host", "__meta_narrmon_pid", "__meta_narrmon_started"

ScrapeHook = Callable[[str, int], Callable[[], None]]
"""``hook(host, port)``: called once a ``/metrics`` endpoint answers; returns the function that
undoes it (called when the process exits). Never raises."""


@dataclass(frozen=True)
class Owner:
    """The process that registered a target: host name, pid and the kernel's start time of that
    pid (clock ticks since boot, from /proc; "" where unknown) so a reused pid is not mistaken
    for the owner."""

    host: str
    pid: int
    started: str = ""

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(host=socket.gethostname(), pid=pid, started=process_start_ticks(pid))

    @classmethod
    def from_labels(cls, labels: dict[str, str]) -> Owner | None:
        try:
            return cls(host=labels[_HOST], pid=int(labels[_PID]), started=labels.get(_STARTED, ""))
        except (KeyError, ValueError):
            return None


def process_start_ticks(pid: int) -> str:
    """Field 22 of /proc/<pid>/stat (start time in clock ticks), or "" when unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return ""
    # The command name (field 2) may contain spaces and parentheses: split after its last ")".
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def owner_alive(owner: Owner, host: str | None = None) -> bool | None:
    """True/False when `owner` runs/does not run on this host; None when it is another host's
    process (only its heartbeat can tell)."""
    if owner.host != (host or socket.gethostname()):
        return None
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    return not owner.started or process_start_ticks(owner.pid) in ("", owner.started)


def is_expired(heartbeat_age_s: float, ttl_s: float, alive: bool | None) -> bool:
    """Whether discovery drops a target (pure): never while its owner provably runs, otherwise
    once its last heartbeat is older than the TTL (a dead worker stays scraped, and alerting,
    until then)."""
    return alive is not True and heartbeat_age_s > ttl_s


def target_file_content(
    name: str, host_port: str, owner: Owner | None = None
) -> list[dict[str, object]]:
    """The file_sd JSON document for one target (pure)."""
    labels = {"instance_name": name}
    if owner is not None:
        labels |= {_HOST: owner.host, _PID: str(owner.pid), _STARTED: owner.started}
    return [{"targets": [host_port], "labels": labels}]


@dataclass(frozen=True)
class TargetInfo:
    """One registered scrape target, as `list_targets` reports it."""

    job: str
    name: str
    address: str
    owner: Owner | None
    alive: bool | None
    heartbeat_age_s: float
    expires_in_s: float | None  # None: kept while its owner runs
    path: Path


def list_targets(directory: Path, ttl_s: float, now: float | None = None) -> list[TargetInfo]:
    """Every target file in `directory` with its owner, liveness and heartbeat age (reads only)."""
    now = time.time() if now is None else now
    found: list[TargetInfo] = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            age = now - path.stat().st_mtime
            group = json.loads(path.read_text(encoding="utf-8"))[0]
            address, labels = str(group["targets"][0]), dict(group["labels"])
        except (OSError, ValueError, LookupError, TypeError):
            continue
        owner = Owner.from_labels(labels)
        alive = owner_alive(owner) if owner is not None else None
        found.append(
            TargetInfo(
                job=path.name.split("--", 1)[0],
                name=str(labels.get("instance_name", path.stem)),
                address=address,
                owner=owner,
                alive=alive,
                heartbeat_age_s=age,
                expires_in_s=None if alive else max(0.0, ttl_s - age),
                path=path,
            )
        )
    return found


def sweep_expired(directory: Path, ttl_s: float, now: float | None = None) -> list[Path]:
    """Delete the target files in `directory` that `is_expired` says are dead; return them.
    Never raises."""
    removed: list[Path] = []
    try:
        targets = list_targets(directory, ttl_s, now)
    except OSError:
        return removed
    for target in targets:
        if not is_expired(target.heartbeat_age_s, ttl_s, target.alive):
            continue
        try:
            target.path.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("could not drop expired scrape target %s: %r", target.path, exc)
            continue
        removed.append(target.path)
        logger.info(
            "dropped scrape target %s: no heartbeat for %.0fs",
            target.path.name,
            target.heartbeat_age_s,
        )
    return removed


def heartbeat_interval(ttl_s: float) -> float:
    """Seconds between heartbeats: a quarter of the TTL, at most 15 s."""
    return min(15.0, ttl_s / 4)


class _Heartbeat:
    """One daemon thread per process: touches this process's target files and sweeps."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._targets: dict[Path, tuple[float, str]] = {}  # path -> (ttl_s, content)
        self._thread: threading.Thread | None = None

    def add(self, path: Path, ttl_s: float, content: str) -> None:
        with self._lock:
            self._targets[path] = (ttl_s, content)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="narrmon-scrape-target-heartbeat", daemon=True
                )
                self._thread.start()

    def discard(self, path: Path) -> None:
        """Stop refreshing `path` and delete it."""
        with self._lock:
            self._targets.pop(path, None)
            path.unlink(missing_ok=True)

    def beat(self) -> None:
        """Refresh every registered file (re-creating one swept by mistake), then sweep."""
        with self._lock:  # held while writing, so an unregistered file is never re-created
            targets = dict(self._targets)
            for path, (_, content) in targets.items():
                try:
                    os.utime(path)
                except FileNotFoundError:
                    _write_atomic(path, content)
                except OSError as exc:
                    logger.warning("could not refresh scrape target %s: %r", path, exc)
        for directory, ttl_s in {(p.parent, ttl) for p, (ttl, _) in targets.items()}:
            sweep_expired(directory, ttl_s)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._targets:
                    self._thread = None
                    return
                interval = min(heartbeat_interval(ttl) for ttl, _ in self._targets.values())
            time.sleep(interval)
            try:
                self.beat()
            except Exception as exc:  # the heartbeat must outlive any one bad tick
                logger.warning("scrape target heartbeat failed: %r", exc)


HEARTBEAT = _Heartbeat()


def _write_atomic(path: Path, content: str) -> None:
    # A temp name unique to each call: the heartbeat thread and a registration may write the
    # same target file at once, within one process.
    write_atomic(path, content)


def write_target_file(
    directory: Path, job: str, name: str, host_port: str, *, ttl_s: float = DEFAULT_TTL_S
) -> Path:
    """Ask Prometheus to scrape ``http://<host_port>/metrics`` under `job`; return the file written.

    `job` must be one of `JOBS`; raises `ValueError` otherwise, OSError when the directory cannot
    be written. Writing is atomic; registering the same job/name again replaces it. Sweeps expired
    targets of dead processes first, then keeps this file's heartbeat fresh (one daemon thread per
    process) until `remove_target_file`."""
    if job not in JOBS:
        raise ValueError(f"unknown scrape job {job!r}; Prometheus only reads {', '.join(JOBS)}")
    sweep_expired(directory, ttl_s)
    path = directory / f"{job}--{_SAFE_NAME.sub('_', name)}.json"
    content = json.dumps(target_file_content(name, host_port, Owner.current()))
    _write_atomic(path, content)
    HEARTBEAT.add(path, ttl_s, content)
    logger.info("registered scrape target %s (%s) for job %s at %s", name, host_port, job, path)
    return path


def remove_target_file(path: Path) -> None:
    """Remove a file written by `write_target_file` and stop its heartbeat; a missing file is
    fine."""
    HEARTBEAT.discard(path)


def scrape_target_hook(
    directory: Path, job: str, name: str, *, ttl_s: float = DEFAULT_TTL_S
) -> ScrapeHook:
    """A `ScrapeHook` registering the endpoint as ``<name>-<hostname>-<port>`` under `job` in
    `directory`, best effort: a failure is logged and the process runs on unregistered."""

    def register(host: str, port: int) -> Callable[[], None]:
        instance = f"{name}-{socket.gethostname()}-{port}"
        try:
            path = write_target_file(directory, job, instance, f"{host}:{port}", ttl_s=ttl_s)
        except (OSError, ValueError) as exc:
            logger.warning("could not register %s with Prometheus: %r", instance, exc)
            return lambda: None
        return lambda: remove_target_file(path)

    return register
