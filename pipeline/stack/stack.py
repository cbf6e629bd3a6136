"""Orchestration of the local stack: `up`, `down`, `status` (blocking; Linux).

- `up(settings)` starts every service that is not already running (pid file + command-line check),
  then blocks until each one answers its readiness probe (`readiness.py`). Idempotent: a second call
  with everything running only probes, re-renders the Prometheus and Alertmanager configs from
  ``deploy/`` and reloads them (so rule and routing changes apply), and returns within seconds.
  The first call downloads Kafka and Elasticsearch through Maven (about a minute on a good
  network); later calls are offline. Raises `StackError` subclasses:
  `MissingToolError`, `ProvisionError`, `ServiceStartError` (names the service and its log).
  Services that did start are left running on failure, so their logs and state can be inspected.
- `down(settings)` first stops every background process narrmon recorded (demo workers, a demo API:
  see `background.py`), then exactly the services recorded in the pid files (after checking each
  one's command line still carries our marker), each SIGTERM then SIGKILL after a grace period.
  It stops every service that has a live pid file, the alert receiver included, whatever the
  settings say now.
- `status(settings)` reports each service's state, pid, address and log path without side effects.
Concurrent `up`/`down` calls (several test sessions) serialise on ``<state>/run/stack.lock``.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.settings import Settings
from pipeline.stack import (
    background,
    process,
    readiness,
)
from pipeline.stack.errors import ServiceStartError
from pipeline.stack.layout import SERVICES, StackLayout
from pipeline.stack.provision import require_tool
from pipeline.stack.services import ServiceSpec, service_specs
from pipeline.stack.targets import sweep_expired_targets

logger = logging.getLogger(__name__)

LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: str  # "running" | "stopped"
    pid: int | None
    url: str
    log: Path

    def as_dict(self) -> dict[str, object]:
        return {"state": self.state, "pid": self.pid, "url": self.url, "log": str(self.log)}


@dataclass
class UpReport:
    """What `up` did: services it started, services that were already running (and of those, the
    ones whose re-rendered config it reloaded), and how long it took."""

    started: list[str] = field(default_factory=list)
    already_running: list[str] = field(default_factory=list)
    reloaded: list[str] = field(default_factory=list)
    seconds: float = 0.0


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file ("" when missing)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@contextmanager
def _stack_lock(layout: StackLayout) -> Iterator[None]:
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    with (layout.run_dir / "stack.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def status(settings: Settings) -> list[ServiceStatus]:
    """Each service's state from its pid file, then every live background process narrmon
    recorded (no probes; only records of processes that are gone are dropped)."""
    layout = StackLayout.of(settings)
    result = []
    for spec in service_specs(settings):
        pid = process.running_pid(layout.pid_file(spec.name))
        result.append(
            ServiceStatus(
                name=spec.name,
                state="running" if pid is not None else "stopped",
                pid=pid,
                url=spec.address,
                log=layout.log_file(spec.name),
            )
        )
    for proc in background.running(layout.background_dir):
        result.append(
            ServiceStatus(
                name=f"{proc.name} (background)",
                state="running",
                pid=proc.pid,
                url=proc.url or "-",
                log=Path(proc.log) if proc.log else layout.log_dir,
            )
        )
    return result


def _check_port_free(spec: ServiceSpec, layout: StackLayout) -> None:
    if readiness.tcp_open(spec.host, spec.port):
        raise ServiceStartError(
            spec.name,
            f"cannot start: {spec.address} is already taken by a process narrmon did not start "
            f"(no live pid in {layout.pid_file(spec.name)}); stop it or change the port",
            layout.log_file(spec.name),
        )


def _start(spec: ServiceSpec, settings: Settings, layout: StackLayout) -> int:
    log_file = layout.log_file(spec.name)
    launch = spec.prepare(settings, layout)
    try:
        return process.spawn(
            launch.argv,
            log_file=log_file,
            pid_file=layout.pid_file(spec.name),
            marker=launch.marker,
            env=launch.env,
            cwd=launch.cwd,
        )
    except OSError as exc:
        raise ServiceStartError(spec.name, f"could not be executed ({exc})", log_file) from exc


def _wait_ready(
    specs: list[tuple[ServiceSpec, int, float]], layout: StackLayout, timeout_scale: float
) -> None:
    pending = list(specs)
    while pending:
        still: list[tuple[ServiceSpec, int, float]] = []
        for spec, pid, started in pending:
            if spec.ready():
                logger.info("%s ready after %.1fs", spec.name, time.monotonic() - started)
                continue
            log_file = layout.log_file(spec.name)
            if process.exited(pid):
                raise ServiceStartError(
                    spec.name, "exited while starting", log_file, log_tail(log_file)
                )
            limit = spec.start_timeout_s * timeout_scale
            if time.monotonic() - started > limit:
                raise ServiceStartError(
                    spec.name,
                    f"did not become ready within {limit:.0f}s",
                    log_file,
                    log_tail(log_file),
                )
            still.append((spec, pid, started))
        pending = still
        if pending:
            time.sleep(0.5)


def up(
    settings: Settings,
    *,
    timeout_scale: float = 1.0,
    only: Collection[str] | None = None,
    layout: StackLayout | None = None,
) -> UpReport:
    """Start what is not running and wait until all four services answer, or just those named
    in `only` (e.g. a private Elasticsearch for a fault test: other ports and state dir in
    `settings`). `layout` overrides where templates are read from. See the module doc."""
    begin = time.monotonic()
    layout = layout or StackLayout.of(settings)
    require_tool("java")
    report = UpReport()
    specs = [s for s in service_specs(settings) if only is None or s.name in only]
    with _stack_lock(layout):
        running = {spec.name: process.running_pid(layout.pid_file(spec.name)) for spec in specs}
        # Refuse before starting anything, so a port clash leaves no half-started stack behind.
        for spec in specs:
            if running[spec.name] is None:
                _check_port_free(spec, layout)
        waiting: list[tuple[ServiceSpec, int, float]] = []
        for spec in specs:
            pid = running[spec.name]
            if pid is not None:
                report.already_running.append(spec.name)
            else:
                pid = _start(spec, settings, layout)
                report.started.append(spec.name)
            waiting.append((spec, pid, time.monotonic()))
        _wait_ready(waiting, layout, timeout_scale)
        for spec, _, _ in waiting:
            if spec.name in report.already_running and spec.reload is not None:
                spec.reload(settings, layout)
                report.reloaded.append(spec.name)
        sweep_expired_targets(settings)  # dead workers' scrape targets past their TTL
    report.seconds = time.monotonic() - begin
    return report


def down(
    settings: Settings, *, only: Collection[str] | None = None, grace_s: float = 20.0
) -> list[str]:
    """Stop the background processes narrmon recorded, then the services `up` started (reverse
    order); with `only`, just the services named there. Return what was stopped: service names
    and ``<name> (pid N)`` for background processes. Blocks for at most about 25 s per step."""
    layout = StackLayout.of(settings)
    stopped = []
    with _stack_lock(layout):
        if only is None:
            # Workers first: they hold the broker and Elasticsearch, not the other way round.
            for proc in background.stop_all(layout.background_dir, grace_s=grace_s):
                stopped.append(f"{proc.name} (pid {proc.pid})")
        # Every known service, not only the configured ones: the alert receiver may have been
        # started under settings that no longer enable it.
        for name in reversed(SERVICES):
            if only is not None and name not in only:
                continue
            if process.stop(layout.pid_file(name), grace_s=grace_s):
                stopped.append(name)
    return stopped
