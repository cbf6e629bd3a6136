"""Serve a connector command's ``/metrics`` for as long as it runs (`narrmon ingest`,
`narrmon connect`, `narrmon connectors run`), optionally registered with a Prometheus through
file-based service discovery (``--register-with DIR``, `pipeline.file_sd`)."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pipeline.metrics import Metrics
    from pipeline.settings import Settings


@contextmanager
def serve_metrics(
    settings: Settings,
    metrics: Metrics,
    port: int | None,
    source: str,
    register_with: Path | None,
    *,
    command: str,
) -> Iterator[int | None]:
    """Serve ``metrics`` on /metrics for the duration of the block, registered in the file_sd
    directory `register_with` if given; yields the bound port (None when `port` is None: nothing
    is served). Registration is best effort (a connector runs fine without a Prometheus). SIGTERM
    inside the block exits through it, so the scrape target is removed. Exits 1 with a one-line
    message naming `command` when the port cannot be bound."""
    if port is None:
        yield None
        return
    from prometheus_client import start_http_server

    from pipeline.file_sd import scrape_target_hook

    host = settings.worker.metrics_host
    try:
        server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as exc:
        click.echo(f"narrmon {command}: cannot serve metrics on {host}:{port}: {exc}", err=True)
        sys.exit(1)
    bound = int(server.server_address[1])
    unregister = None
    if register_with is not None:
        ttl = settings.prometheus.dead_target_ttl_s
        hook = scrape_target_hook(register_with, "narrmon-connector", source, ttl_s=ttl)
        unregister = hook(host, bound)
    click.echo(f"narrmon {command}: metrics on http://{host}:{bound}/metrics", err=True)
    # Signal handlers can only be set from the main thread (not so under some test runners).
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if on_main else None
    try:
        yield bound
    finally:
        if on_main:
            signal.signal(signal.SIGTERM, previous)
        if unregister is not None:
            unregister()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)
