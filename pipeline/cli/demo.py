"""`narrmon demo`: run the pipeline end to end on the real local stack and print a summary."""

from __future__ import annotations

import json
import sys
from typing import Any

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--keep-running",
    is_flag=True,
    help="Leave the stack and the worker running afterwards and serve the analyst UI (its URL "
    "is printed; narrmon demo --stop or narrmon stack down stop them).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=600.0,
    show_default=True,
    help="Give up waiting for the worker after this many seconds.",
)
@click.option(
    "--speed",
    default="max",
    show_default=True,
    help="Replay pace of the demo posts: 'max' (a burst: latency includes queueing), "
    "'original', or 'Nx' (e.g. 120x replays the 90-minute stream in 45 s: steady-state latency).",
)
@click.option(
    "--stop",
    is_flag=True,
    help="Stop the worker of a demo left running by --keep-running, and exit.",
)
def demo(as_json: bool, keep_running: bool, timeout_s: float, speed: str, stop: bool) -> None:
    """Replay the bundled demo stream through connectors, worker and index; summarise.

    Each run uses fresh topics, consumer group and index, so the counts are exact. By default
    it stops the worker, and the stack if the demo started it. With --keep-running the worker
    stays up and the search, hits, catalog, index info and api commands use the run's data
    until narrmon demo --stop."""
    from connectors.pacing import parse_speed
    from pipeline.demo import DemoError, run_demo
    from pipeline.settings import Settings

    if stop:
        _stop(Settings.load())
        return

    try:
        parse_speed(speed)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--speed") from exc
    try:
        summary = run_demo(
            Settings.load(), keep_running=keep_running, timeout_s=timeout_s, speed=speed
        )
    except DemoError as exc:
        click.echo(f"narrmon demo: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        _print(summary)


def _stop(settings: Any) -> None:
    from pipeline.demo_session import stop_demo

    stopped = stop_demo(settings.state_dir)
    if stopped is None:
        click.echo("no demo is running")
        return
    click.echo(
        f"stopped demo worker {stopped.worker_pid} and its UI; its index "
        f"({stopped.index_prefix}-*) stays until the next demo, the stack keeps running "
        "(narrmon stack down stops it)"
    )


def _print(s: dict[str, Any]) -> None:
    echo = click.echo
    sources = ", ".join(f"{k} {v}" for k, v in s["published_by_source"].items())
    echo(f"narrmon demo (run {s['run_id']}, {s['elapsed_s']}s)")
    echo(f"  posts published   {s['posts_published']}  ({sources})")
    echo(f"  posts processed   {s['posts_processed']}  ({s['posts_with_hits']} with hits)")
    echo(
        f"  hits              produced {s['hits_produced']}, indexed {s['hits_indexed']}, "
        f"in index {s['hits_in_index']}"
    )
    for nid, n in s["narratives"].items():
        stance = ", ".join(f"{k} {v}" for k, v in sorted(n["stance"].items()))
        echo(f"    {n['hits']:>4}  {nid}  [{stance}]")
    for stage, reasons in s["dead_lettered"].items():
        text = ", ".join(f"{k} {v}" for k, v in reasons.items()) or "none"
        echo(f"  dead-lettered ({stage}): {text}")
    echo(f"  end-to-end latency p50 {s['latency_p50_s']}s, p99 {s['latency_p99_s']}s")
    echo(f"  index             {s['index']}  at {s['elasticsearch_url']}")
    echo(f"  metrics           {s['metrics_url']}" + ("" if s["worker_running"] else " (stopped)"))
    echo(f"  prometheus        {s['prometheus_url']}")
    echo(f"  worker log        {s['worker_log']}")
    if s.get("ui_url"):
        echo(f"  analyst UI        {s['ui_url']}  (triage queue, escalations, spikes)")
    if s.get("handoff_env"):
        pid = s["worker_pid"]
        echo(f"  worker pid        {pid} (narrmon demo --stop or stack down stops it and the UI)")
        echo("  explore           narrmon search, narrmon api (UI) use this run's data now;")
        echo(f"                    other shells: NARRMON_ENV_FILE={s['handoff_env']}")
