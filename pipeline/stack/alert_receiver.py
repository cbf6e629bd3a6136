"""The local stack's fifth service: `narrmon alerts listen`, Alertmanager's webhook receiver.

It listens on the host and port of ``settings.prometheus.alert_webhook_url`` (default
``127.0.0.1:29095``), prints every alert to ``<state>/logs/alert-receiver.log``, appends each as a
JSON line to ``<state>/alert-receiver/alerts.jsonl`` (that path is also its command-line marker)
and drops expired scrape targets every 30 s (see `targets.py`).
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from pipeline.settings import Settings
from pipeline.stack.launch import Launch
from pipeline.stack.layout import StackLayout

NAME = "alert-receiver"


def address(settings: Settings) -> tuple[str, int]:
    """(host, port) the receiver binds: those of the webhook URL setting (pure)."""
    url = urlsplit(settings.prometheus.alert_webhook_url)
    return url.hostname or "127.0.0.1", url.port or 29095


def record_file(layout: StackLayout) -> str:
    return str(layout.service_dir(NAME) / "alerts.jsonl")


def prepare(settings: Settings, layout: StackLayout) -> Launch:
    host, port = address(settings)
    home = layout.service_dir(NAME)
    home.mkdir(parents=True, exist_ok=True)
    argv = (
        sys.executable,
        "-m",
        "pipeline.cli",
        "alerts",
        "listen",
        "--host",
        host,
        "--port",
        str(port),
        "--record",
        record_file(layout),
        "--sweep-targets",
    )
    return Launch(argv=argv, marker=record_file(layout), cwd=home)
