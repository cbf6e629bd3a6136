"""`narrmon alerts listen`: the local Alertmanager's webhook receiver; prints every alert.

Alertmanager's `webhook` receiver posts every notification to
``settings.prometheus.alert_webhook_url`` (default ``http://127.0.0.1:29095/alerts``). This command
listens there and prints each alert (text in 80 columns, or one JSON object per line with
``--json``); ``--record FILE`` also appends each alert as a JSON line to FILE. `narrmon stack up`
runs it as the stack's fifth service (log: ``<state>/logs/alert-receiver.log``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

if TYPE_CHECKING:
    from pipeline.alert_webhook import WebhookNotification
    from pipeline.settings import Settings

MAX_BODY_BYTES = 4 * 1024 * 1024
SWEEP_INTERVAL_S = 30.0


def make_server(
    host: str, port: int, on_notification: Callable[[WebhookNotification], None]
) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) that answers POST (any path) with 200 after handing the
    parsed notification to `on_notification`, 400 naming the bad field, or 413 when the body is
    over `MAX_BODY_BYTES`; GET answers 200 (a liveness probe)."""
    from pipeline.alert_webhook import InvalidNotificationError, parse_notification

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, code: int, text: str) -> None:
            body = (text + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer(200, "narrmon alert receiver: POST Alertmanager webhooks here")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._answer(413, f"body over {MAX_BODY_BYTES} bytes")
                return
            try:
                notification = parse_notification(self.rfile.read(length))
            except InvalidNotificationError as exc:
                self._answer(400, f"not an Alertmanager webhook notification: {exc}")
                return
            on_notification(notification)
            self._answer(200, "ok")

        def log_message(self, format: str, *args: object) -> None:
            pass  # the alerts themselves are the log

    return ThreadingHTTPServer((host, port), Handler)


def printer(as_json: bool, record: Path | None) -> Callable[[WebhookNotification], None]:
    """Print (and optionally append to `record`) each notification, one at a time."""
    from pipeline.alert_webhook import alert_record, format_notification

    lock = threading.Lock()

    def show(notification: WebhookNotification) -> None:
        records = [json.dumps(alert_record(a, notification)) for a in notification.alerts]
        with lock:
            if as_json:
                for line in records:
                    click.echo(line)
            else:
                click.echo(format_notification(notification) + "\n")
            if record is not None:
                record.parent.mkdir(parents=True, exist_ok=True)
                with record.open("a", encoding="utf-8") as handle:
                    handle.writelines(line + "\n" for line in records)

    return show


def _sweep_forever(settings: Settings) -> None:
    from pipeline.stack.targets import sweep_expired_targets

    while True:
        time.sleep(SWEEP_INTERVAL_S)
        sweep_expired_targets(settings)


@click.group()
def alerts() -> None:
    """Receive the local Alertmanager's notifications."""


@alerts.command()
@click.option("--host", help="Address to bind. Default: the host of the webhook URL setting.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port. Default: the port of NARRMON_PROMETHEUS__ALERT_WEBHOOK_URL (29095).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert per line.")
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also append every alert as a JSON line to this file.",
)
@click.option(
    "--sweep-targets",
    is_flag=True,
    help="Also drop expired scrape targets every 30 s (what narrmon stack up runs).",
)
def listen(
    host: str | None, port: int | None, as_json: bool, record: Path | None, sweep_targets: bool
) -> None:
    """Print every alert Alertmanager delivers to its webhook receiver until interrupted.

    Point Alertmanager's webhook at http://HOST:PORT/alerts (the local stack's config already
    does). Each alert shows status, severity, name, labels, summary, description and the hits
    and runbook links."""
    from pipeline.settings import Settings

    settings = Settings.load()
    url = urlsplit(settings.prometheus.alert_webhook_url)
    bind_host = host or url.hostname or "127.0.0.1"
    bind_port = port if port is not None else (url.port or 29095)
    try:
        server = make_server(bind_host, bind_port, printer(as_json, record))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {bind_host}:{bind_port}: {exc}") from exc
    if sweep_targets:
        threading.Thread(target=_sweep_forever, args=(settings,), daemon=True).start()
    bound = server.server_address[1]
    click.echo(f"narrmon alerts: listening on http://{bind_host}:{bound}/alerts", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
