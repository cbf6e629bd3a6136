"""Run `narrmon worker` as a child process and watch it through its ``/metrics``.

Used by `narrmon demo` and the integration tests (which SIGKILL it mid-stream). The child gets its
configuration as ``NARRMON_*`` environment variables rendered from a `Settings` (`settings_env`),
so parent and child agree on every topic, index and port.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import BaseModel, SecretStr

from pipeline import metrics as m
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.stack.background import BackgroundProcess

logger = logging.getLogger(__name__)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _reveal(value: Any) -> Any:
    """`value` with every secret in clear, nested groups (e.g. ``kafka.security``) included."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return {
            name: _reveal(getattr(value, name))
            for name in type(value).model_fields
            if getattr(value, name) is not None
        }
    return value


def settings_env(settings: Settings) -> dict[str, str]:
    """``NARRMON_*`` variables that make `Settings.load()` in a child equal ``settings``: one JSON
    object per group (None values left out, i.e. defaults), top-level fields as plain strings.
    Contains secrets: never log it."""
    from pydantic_core import to_jsonable_python

    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            group = {
                sub: _reveal(getattr(value, sub))
                for sub in type(value).model_fields
                if getattr(value, sub) is not None
            }
            env[f"NARRMON_{name.upper()}"] = json.dumps(to_jsonable_python(group))
        elif value is not None:
            env[f"NARRMON_{name.upper()}"] = str(_reveal(value))
    return env


def parse_metrics(text: str) -> Samples:
    """Prometheus text format -> ``{(sample name, sorted labels): value}``."""
    from prometheus_client.parser import text_string_to_metric_families

    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, lbls), v in samples.items() if n == name and wanted <= set(lbls))


def by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for (n, lbls), v in samples.items():
        if n == name:
            key = dict(lbls).get(label, "")
            out[key] = out.get(key, 0.0) + v
    return out


def served_by(samples: Samples, pid: int) -> bool:
    """Whether these metrics come from the worker process `pid` (pure)."""
    return total(samples, m.WORKER_INFO + "_info", pid=str(pid)) > 0


def free_port(host: str) -> int:
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


class WorkerProcess:
    """One `narrmon worker` child. Not thread-safe; one owner."""

    def __init__(
        self,
        settings: Settings,
        log_path: Path,
        *,
        register_with: Path | None = None,
        record_in: Path | None = None,
        entry: str | None = None,
    ) -> None:
        """``register_with``: a Prometheus file_sd directory the child registers its /metrics
        in (``narrmon worker --register-with``); None: it does not register. ``record_in``: a
        background-process directory (`pipeline.stack.background`) the child is recorded in
        while it runs, so `narrmon stack down` stops it even after this object is gone.
        ``entry``: Python code the child runs instead of ``narrmon worker`` (tests: a worker with
        a test matcher; it gets the same environment and no arguments)."""
        self.settings = settings
        self.log_path = log_path
        self.register_with = register_with
        self.record_in = record_in
        self.entry = entry
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._record: BackgroundProcess | None = None

    @property
    def metrics_url(self) -> str:
        w = self.settings.worker
        return f"http://{w.metrics_host}:{w.metrics_port}/metrics"

    def start(self) -> None:
        """Start the child (returns at once; see `wait_ready`)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NARRMON_")} | settings_env(
            self.settings
        )
        env.setdefault("HF_HUB_OFFLINE", "1")
        command = [sys.executable, "-c", "from pipeline.cli import main; main()", "worker"]
        if self.entry is not None:
            command = [sys.executable, "-c", self.entry]
        elif self.register_with is not None:
            command += ["--register-with", str(self.register_with)]
        self.proc = subprocess.Popen(
            command,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        logger.info("worker pid %d, log %s", self.proc.pid, self.log_path)
        if self.record_in is not None:
            from pipeline.stack import background

            self._record = background.record(
                self.record_in,
                "worker",
                self.proc.pid,
                command,
                log=self.log_path,
                url=self.metrics_url,
            )

    def scrape(self, timeout_s: float = 2.0) -> Samples | None:
        """The child's current metrics, or None when it does not answer. Metrics served by any
        other process on the port (an older worker still running) count as no answer: the
        ``narrmon_worker_info`` pid must be the child's."""
        try:
            with urllib.request.urlopen(self.metrics_url, timeout=timeout_s) as response:
                samples = parse_metrics(response.read().decode("utf-8"))
        except OSError:
            return None
        if self.proc is None or not served_by(samples, self.proc.pid):
            return None
        return samples

    def wait_ready(self, timeout_s: float = 180.0) -> Samples:
        """Block until ``/metrics`` answers (the model is loaded by then). Raises `RuntimeError`
        if the child exits (with its `death_report`) or the timeout passes."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"worker exited with {self.proc.returncode}; {self.log_path}:\n"
                    f"{self.death_report()}"
                )
            samples = self.scrape()
            if samples is not None:
                return samples
            time.sleep(0.5)
        raise RuntimeError(f"worker not ready after {timeout_s:.0f}s; see {self.log_path}")

    def stop(self, grace_s: float = 30.0) -> int | None:
        """SIGTERM, wait up to ``grace_s``, then SIGKILL. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "worker %d ignored SIGTERM for %.0fs, killing", self.proc.pid, grace_s
                )
                self.proc.kill()
                self.proc.wait()
        self._close_log()
        return self.proc.returncode

    def death_report(self) -> str:
        """The child's log, its first errors first (`pipeline.log_excerpt.death_report`): what a
        caller that sees the child exit should show."""
        from pipeline.log_excerpt import death_report

        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"no log at {self.log_path}: {exc}"
        return death_report(text)

    def dump_stacks(self, settle_s: float = 2.0) -> None:
        """Ask a running child to log its task and thread stacks (SIGUSR1, see `pipeline.worker`)
        and give it ``settle_s`` to write them; the child keeps running. Call before giving up on
        a worker that stopped making progress, so its log says where it waits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(settle_s)

    def kill(self) -> None:
        """SIGKILL (no clean-up at all: what a crash or OOM kill looks like)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._record is not None and self.record_in is not None:
            from pipeline.stack import background

            background.forget(self.record_in, self._record)
            self._record = None
        if self._log is not None:
            self._log.close()
            self._log = None
