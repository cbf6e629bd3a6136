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
    from pipeline.stack.targets import TargetInfo


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
    """Stop what narrmon started: background processes it recorded (demo workers, a demo API),
    then the services narrmon stack up started; nothing else."""
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


@stack.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON list, one object per target.")
@click.option("--prune", is_flag=True, help="First drop the targets whose time-to-live is over.")
def targets(as_json: bool, prune: bool) -> None:
    """List the workers and connectors registered for scraping by the local Prometheus.

    State is 'alive' (its process runs on this host), 'dead' (it does not: kept until it expires
    so WorkerDown fires, then dropped) or 'remote' (another host's process: kept while its
    heartbeat is fresh)."""
    from pipeline.stack.targets import list_scrape_targets, sweep_expired_targets

    settings = _settings()
    if prune:
        for path in sweep_expired_targets(settings):
            click.echo(f"dropped {path.name}", err=True)
    rows = [_target_row(t) for t in list_scrape_targets(settings)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no scrape targets registered")
    for row in rows:
        expires = "" if row["expires_in_s"] is None else f", expires in {row['expires_in_s']}s"
        click.echo(
            f"{row['state']:<6} {row['job']:<17} {row['address']:<21} pid {row['pid']}"
            f"\n       {row['name']} on {row['host']}, "
            f"heartbeat {row['heartbeat_age_s']}s ago{expires}"
        )


def _target_row(target: TargetInfo) -> dict[str, object]:
    owner = target.owner
    state = {True: "alive", False: "dead", None: "remote"}[target.alive]
    return {
        "job": target.job,
        "name": target.name,
        "address": target.address,
        "state": state if owner is not None else "unknown",
        "pid": owner.pid if owner else None,
        "host": owner.host if owner else None,
        "heartbeat_age_s": round(target.heartbeat_age_s),
        "expires_in_s": None if target.expires_in_s is None else round(target.expires_in_s),
        "file": str(target.path),
    }
