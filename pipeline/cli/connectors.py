"""`narrmon connectors run FILE.yaml`: several live sources in one process, supervised.

The file format is `connectors.live.config`; `deploy/connectors.example.yaml` is an example. All
sources share one /metrics endpoint (``--metrics-port``), each has its own producer, checkpoint
and metric labels (its ``name``). A crashed source is restarted with backoff; SIGTERM/SIGINT stop
all of them (flush, checkpoint) and exit 0. Exit 1 when a source ended with an error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli.params import EXISTING_FILE

if TYPE_CHECKING:
    from connectors.live.config import SourceSpec


@click.group()
def connectors() -> None:
    """Run several live sources from one file."""


@connectors.command()
@click.argument("file", type=EXISTING_FILE)
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), help="Stop after S s.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary at exit.")
@click.option("--metrics-port", type=click.IntRange(min=0, max=65535), help="Serve /metrics.")
@click.option(
    "--register-with",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --metrics-port: register the endpoint in this Prometheus file_sd directory.",
)
@click.option("--max-restarts", type=click.IntRange(min=0), help="Give a source up after N.")
@click.option("--restart-min", type=click.FloatRange(min=0.05), default=1.0, show_default=True)
@click.option("--restart-max", type=click.FloatRange(min=0.05), default=300.0, show_default=True)
@click.option("--reconnect-min", type=click.FloatRange(min=0.05), help="First backoff (s).")
@click.option("--reconnect-max", type=click.FloatRange(min=0.05), help="Backoff cap (s).")
def run(
    *,
    file: Path,
    duration: float | None,
    as_json: bool,
    metrics_port: int | None,
    register_with: Path | None,
    max_restarts: int | None,
    restart_min: float,
    restart_max: float,
    reconnect_min: float | None,
    reconnect_max: float | None,
) -> None:
    """Run every source of FILE until stopped."""
    import asyncio

    from connectors.live.backoff import BackoffPolicy
    from connectors.live.config import SourcesFileError, load_sources_file
    from connectors.live.metrics import LiveMetrics
    from connectors.live.registry import build_source
    from connectors.live.run_types import RunLimits
    from connectors.live.service import RunOptions, run_live
    from connectors.live.source import Filters
    from connectors.live.supervisor import supervise
    from connectors.publisher import DeliveryMetrics
    from pipeline.cli.live import (
        CommonOptions,
        backoff_policies,
        checkpoint_dir,
        kafka_target,
        prepare_topics,
        run_until_stopped,
    )
    from pipeline.cli.metrics_endpoint import serve_metrics
    from pipeline.metrics import Metrics
    from pipeline.settings import Settings

    try:
        specs = load_sources_file(file)
    except SourcesFileError as exc:
        raise click.BadParameter(str(exc), param_hint="FILE") from exc
    settings = Settings.load()
    common = CommonOptions(
        source=None,
        max_posts=None,
        duration=duration,
        as_json=as_json,
        metrics_port=metrics_port,
        register_with=register_with,
        keywords=(),
        languages=(),
        accounts=(),
        topic=None,
        dead_letter_topic=None,
        events_topic=None,
        checkpoint=True,
        reconnect_min=reconnect_min,
        reconnect_max=reconnect_max,
        create_topics=True,
    )
    target = kafka_target(settings, common)
    prepare_topics("connectors run", settings, target)
    metrics = Metrics()
    live = LiveMetrics(metrics.registry)
    delivery = DeliveryMetrics(
        sent=metrics.producer_sent,
        failures=metrics.producer_delivery_failures,
        last_post=metrics.connector_last_post,
        dead_lettered=metrics.dead_lettered,
        connected=metrics.producer_connected,
    )

    async def run_one(spec: SourceSpec, stop: asyncio.Event) -> dict[str, Any]:
        source = build_source(spec.kind, spec.options, source=spec.name, accounts=spec.account)
        options = RunOptions(
            state_dir=checkpoint_dir(settings),
            max_chars=settings.worker.max_post_chars,
            limits=RunLimits(duration_s=duration),
            filters=Filters.of(spec.keyword, spec.lang, spec.account),
            backoff=backoff_policies(common, source),
        )
        return await run_live(
            source, target, options, stop, delivery_metrics=delivery, live_metrics=live
        )

    restart = BackoffPolicy(initial_s=restart_min, max_s=max(restart_max, restart_min))
    with serve_metrics(
        settings, metrics, metrics_port, "connectors", register_with, command="connectors run"
    ):
        results = run_until_stopped(
            lambda stop: supervise(
                specs,
                run_one,
                stop,
                name_of=lambda spec: spec.name,
                restart=restart,
                max_restarts=max_restarts,
                metrics=live,
            )
        )
    if as_json:
        click.echo(json.dumps({"sources": results}, sort_keys=True, default=str))
    else:
        for result in results:
            status = f"ERROR {result['error']}" if result.get("error") else "ok"
            click.echo(
                f"{result['source']}: published {result.get('published', 0)}, dead-lettered "
                f"{result.get('dead_lettered', 0)}, restarts {result['restarts']}: {status}"
            )
    if any(result.get("error") for result in results):
        sys.exit(1)
