"""The analyst API and UI that ``narrmon demo --keep-running`` leaves serving the demo's data.

A ``narrmon api`` child process, started in its own session with the demo's settings (and its
handoff file as ``NARRMON_ENV_FILE``, so it reads the run's index), recorded as a background
process (`pipeline.stack.background`) so that ``narrmon stack down`` stops it, as
``narrmon demo --stop`` does. It binds ``api.host`` on ``api.port`` (29080), or on a free port
when that one is taken (e.g. by an earlier demo's API).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

from pipeline.settings import Settings
from pipeline.worker_process import free_port, port_in_use, settings_env

logger = logging.getLogger(__name__)

API_PID_KEY = "NARRMON_DEMO_API_PID"
"""The handoff file's key for the kept API's pid (ignored by `Settings`)."""


class DemoApi:
    """One ``narrmon api`` child serving `settings`' data. One owner, not thread-safe."""

    def __init__(self, settings: Settings, env_file: Path, log_path: Path, record_in: Path) -> None:
        self.settings = settings
        self.env_file = env_file
        self.log_path = log_path
        self.record_in = record_in
        host, port = settings.api.host, settings.api.port
        self.host = host
        self.port = free_port(host) if port_in_use(host, port) else port
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> None:
        """Start the child and record it (returns at once; see `wait_ready`)."""
        from pipeline.stack import background

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NARRMON_")}
        env |= settings_env(self.settings) | {"NARRMON_ENV_FILE": str(self.env_file)}
        command = [sys.executable, "-c", "from pipeline.cli import main; main()", "api",
                   "--host", self.host, "--port", str(self.port)]  # fmt: skip
        self.proc = subprocess.Popen(
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        background.record(
            self.record_in, "demo-api", self.proc.pid, command, log=self.log_path, url=self.url
        )
        logger.info("demo API pid %d on %s, log %s", self.proc.pid, self.url, self.log_path)

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Block until the UI answers. Raises `RuntimeError` if the child exits or the time
        passes (the log says why)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the API exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the API did not answer on {self.url} in {timeout_s:.0f}s")

    def stop(self) -> None:
        """Stop the child (the demo failed after starting it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self._log is not None:
            self._log.close()


def is_demo_api(pid: int) -> bool:
    """Whether `pid` is a live ``narrmon api`` process (the command line is checked)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"api" in args and any(b"pipeline.cli" in a or a.endswith(b"narrmon") for a in args)


def start_demo_ui(settings: Settings, handoff: Path, worker_pid: int | None, run_id: str) -> str:
    """Start the demo's analyst API and UI in the background, add its pid to the handoff file,
    and return its URL. Raises `RuntimeError` (the child is stopped) when it does not come up."""
    from pipeline.demo_runs import write_handoff
    from pipeline.stack.layout import StackLayout

    api = DemoApi(
        settings,
        handoff,
        settings.log_dir / f"demo-api-{run_id}.log",
        StackLayout.of(settings).background_dir,
    )
    api.start()
    try:
        api.wait_ready()
    except RuntimeError:
        api.stop()
        raise
    write_handoff(settings, worker_pid, api_pid=api.proc.pid if api.proc else None)
    return api.url
