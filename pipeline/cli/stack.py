"""`narrmon stack up | down | status [--json]`: the local Kafka/ES/Prometheus/Alertmanager stack.

Errors from `pipeline.stack` (`StackError`) become one message on stderr and exit code 1; when a
service fails to start, the last lines of its log follow the message.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pipeline.settings import Settings


def _settings() -> Settings:
    from pipeline.settings import Settings

    return Settings.load()


@click.group()
def stack() -> None:
    """Start, stop and inspect the local Kafka/Elasticsearch/Prometheus/Alertmanager stack."""


@stack.command()
@click.option(
    "--timeout-scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiply every service's start timeout (slow machines).",
)
def up(timeout_scale: float) -> None:
    """Start whatever is not running; return when every service answers."""
    from pipeline.stack import ServiceStartError, StackError
    from pipeline.stack import up as stack_up

    settings = _settings()
    try:
        report = stack_up(settings, timeout_scale=timeout_scale)
    except ServiceStartError as exc:
        click.echo(f"narrmon: {exc}", err=True)
        if exc.log_tail:
            click.echo(f"--- last lines of {exc.log_path} ---\n{exc.log_tail}", err=True)
        sys.exit(1)
    except StackError as exc:
        click.echo(f"narrmon: {exc}", err=True)
        sys.exit(1)
    started = ", ".join(report.started) or "nothing"
    running = ", ".join(report.already_running) or "none"
    reloaded = f"; reloaded config: {', '.join(report.reloaded)}" if report.reloaded else ""
    click.echo(
        f"stack ready in {report.seconds:.1f}s (started: {started}; already running: {running}"
        f"{reloaded})"
    )
    _print_table(settings)


@stack.command()
def down() -> None:
    """Stop the services narrmon stack up started (and nothing else)."""
    from pipeline.stack import StackError
    from pipeline.stack import down as stack_down

    try:
        stopped = stack_down(_settings())
    except StackError as exc:
        click.echo(f"narrmon: {exc}", err=True)
        sys.exit(1)
    click.echo(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@stack.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object keyed by service name.")
def status(as_json: bool) -> None:
    """Show each service's state, pid, address and log."""
    settings = _settings()
    if as_json:
        from pipeline.stack import status as stack_status

        click.echo(json.dumps({s.name: s.as_dict() for s in stack_status(settings)}, indent=2))
        return
    _print_table(settings)


def _print_table(settings: Settings) -> None:
    from rich.console import Console
    from rich.table import Table

    from pipeline.stack import status as stack_status

    table = Table(title="narrmon local stack")
    for column in ("service", "state", "pid", "address", "log"):
        table.add_column(column, overflow="fold")
    for s in stack_status(settings):
        colour = "green" if s.state == "running" else "red"
        pid = str(s.pid) if s.pid else "-"
        table.add_row(s.name, f"[{colour}]{s.state}[/]", pid, s.url, str(s.log))
    # Not a terminal (pipes, CI): do not squeeze paths into 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(table)
