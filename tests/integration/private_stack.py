"""Private services for fault tests: a Kafka broker, an Elasticsearch node, a Prometheus and an
Alertmanager of their own (other ports, a state dir under the test's tmp folder, the same cached
distributions), started and stopped through `pipeline.stack` like the shared stack. A test can
kill or stop them without touching the stack other tests (and engineers) share.

The private Prometheus loads the repository's rules with every duration scaled down
(`scaled_rules`: ``for: 1m`` -> ``5s``, ``[5m]`` -> ``[25s]``, IndexingStalled's 120 s -> 10 s)
and scrapes every second, and the private Alertmanager renders the repository's config with
short group timings, so an alert fires and resolves within seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from pipeline.settings import Settings
from pipeline.stack import down, process, up
from pipeline.stack.layout import DEPLOY_DIR, StackLayout

SCALE = 12
"""Durations in the private rules are this many times shorter (1m -> 5s)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def private_settings(base: Settings, root: Path, *, webhook_port: int | None = None) -> Settings:
    """`base` with every service on free ports and its state under `root` (caches shared)."""
    webhook = f"http://127.0.0.1:{webhook_port or free_port()}/alerts"
    return base.model_copy(
        update={
            "state_dir": root,
            "kafka": base.kafka.model_copy(
                update={
                    "port": free_port(),
                    "controller_port": free_port(),
                    "bootstrap_servers": None,
                    "heap": "384m",
                }
            ),
            "elasticsearch": base.elasticsearch.model_copy(
                update={
                    "port": free_port(),
                    "transport_port": free_port(),
                    "url": None,
                    "heap": "512m",
                }
            ),
            "prometheus": base.prometheus.model_copy(
                update={
                    "port": free_port(),
                    "alertmanager_port": free_port(),
                    "scrape_interval_s": 1.0,
                    "alert_webhook_url": webhook,
                    "alert_receiver": False,
                }
            ),
        }
    )


def _seconds(minutes: str) -> str:
    return f"{max(1, round(int(minutes) * 60 / SCALE))}s"


def scaled_rules(text: str) -> str:
    """The alert rules with durations `SCALE` times shorter (pure)."""
    text = re.sub(r"for: (\d+)m", lambda m: f"for: {_seconds(m.group(1))}", text)
    text = re.sub(r"\[(\d+)m\]", lambda m: f"[{_seconds(m.group(1))}]", text)
    return text.replace(
        "(time() - max by (job, instance) (narrmon_index_last_success_timestamp_seconds)) > 120",
        "(time() - max by (job, instance) (narrmon_index_last_success_timestamp_seconds)) > 10",
    )


def private_deploy_dir(root: Path) -> Path:
    """A copy of the templates the monitoring services read: scaled rules, short Alertmanager
    group timings (same receivers and routes)."""
    deploy = root / "deploy"
    rules = deploy / "prometheus" / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEPLOY_DIR / "prometheus" / "prometheus.yml", deploy / "prometheus")
    for path in (DEPLOY_DIR / "prometheus" / "rules").glob("*.yml"):
        (rules / path.name).write_text(scaled_rules(path.read_text()))
    config = yaml.safe_load((DEPLOY_DIR / "alertmanager" / "alertmanager.yml").read_text())
    config["route"].update(group_wait="1s", group_interval="1s", repeat_interval="1h")
    (deploy / "alertmanager").mkdir(parents=True, exist_ok=True)
    (deploy / "alertmanager" / "alertmanager.yml").write_text(yaml.safe_dump(config))
    (deploy / "local").symlink_to(DEPLOY_DIR / "local")
    return deploy


class PrivateStack:
    """Start, kill and stop services of one private stack (blocking calls)."""

    def __init__(self, settings: Settings, root: Path) -> None:
        self.settings = settings
        self.layout = StackLayout.of(settings, private_deploy_dir(root))
        self.started: set[str] = set()

    def start(self, *names: str) -> None:
        up(self.settings, only=names, layout=self.layout, timeout_scale=2.0)
        self.started.update(names)

    def stop(self, name: str) -> None:
        """A clean stop (SIGTERM, then SIGKILL after 10 s)."""
        down(self.settings, only=[name], grace_s=10.0)

    def kill(self, name: str) -> None:
        """SIGKILL the service's whole process group: a crash, no clean-up."""
        record = process.read_pid_file(self.layout.pid_file(name))
        assert record is not None and process.is_ours(record.pid, record.marker), name
        os.killpg(record.pid, signal.SIGKILL)
        while not process.exited(record.pid):
            threading.Event().wait(0.1)
        self.layout.pid_file(name).unlink(missing_ok=True)

    def close(self) -> None:
        if self.started:
            down(self.settings, only=self.started, grace_s=10.0)


@contextmanager
def private_stack(base: Settings, *names: str, **kw: Any) -> Iterator[PrivateStack]:
    """A `PrivateStack` with `names` running; everything it started is stopped afterwards and
    its state dir removed. The state dir is a fresh ``/tmp/narrmon-fault-*``, not pytest's
    tmp_path: Elasticsearch runs as another user when we are root, and every pytest session on
    the machine resets ``/tmp/pytest-of-<user>`` to mode 700, which would lock it out."""
    root = Path(tempfile.mkdtemp(prefix="narrmon-fault-"))
    stack = PrivateStack(private_settings(base, root, **kw), root)
    try:
        stack.start(*names)
        yield stack
    finally:
        try:
            stack.close()
        finally:
            shutil.rmtree(root, ignore_errors=True)


class _Handler(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def webhook(port: int) -> Iterator[list[dict[str, Any]]]:
    """Alertmanager notifications posted to ``http://127.0.0.1:<port>/alerts``, as they arrive."""
    received: list[dict[str, Any]] = []
    handler = type("Webhook", (_Handler,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


def alerts_named(received: list[dict[str, Any]], name: str, status: str) -> list[dict[str, Any]]:
    return [
        alert
        for message in list(received)
        for alert in message["alerts"]
        if alert["labels"].get("alertname") == name and alert["status"] == status
    ]
