"""`narrmon ingest jsonl|csv|articles PATH...`: publish posts from files to Kafka.

Every record read is either published to the posts topic or dead-lettered (reason + original
bytes) to the dead-letter topic; the summary says how many of each. Exit code 0 when Kafka
acknowledged everything, 1 when any delivery failed or Kafka could not be reached, 2 for bad
options. Heavy imports (kafka, connectors) happen inside the command so `narrmon --help` stays fast.

``--metrics-port PORT`` (0: any free port) serves the connector's metrics (posts acknowledged,
delivery failures, last post time, dead letters) on ``http://<worker.metrics_host>:PORT/metrics``
while the command runs; with ``--register-with DIR`` (a Prometheus file_sd directory, e.g. the
local stack's ``<state_dir>/prometheus/targets``) it also registers that endpoint there as a
``narrmon-connector`` scrape target (removed on exit, SIGTERM included), so ``ConnectorSilent`` has
data during long paced replays.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from connectors.base import Connector
    from pipeline.metrics import Metrics

logger = logging.getLogger(__name__)


def _fail(message: str) -> NoReturn:
    click.echo(f"narrmon ingest: {message}", err=True)
    sys.exit(1)


@click.command()
@click.argument("kind", type=click.Choice(["jsonl", "csv", "articles"]))
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--topic", help="Posts topic (default: settings topics.posts).")
@click.option("--dead-letter-topic", help="Dead-letter topic (default: topics.dead_letter).")
@click.option(
    "--speed",
    default="max",
    show_default=True,
    help=(
        "original (pace by created_at gaps), Nx (N times faster, e.g. 60x) or max. Articles are "
        "paced by publication date (days apart): add --max-wait."
    ),
)
@click.option(
    "--max-wait",
    type=float,
    default=None,
    help="With paced speeds, cap any single wait at this many seconds.",
)
@click.option(
    "--map",
    "map_options",
    multiple=True,
    metavar="FIELD=PATH",
    help="Map a Post field to a dotted path in the record, e.g. author.handle=user.screen_name.",
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file of FIELD: PATH pairs (applied before --map).",
)
@click.option("--source", help="Source name on posts and metrics (default: KIND:first file name).")
@click.option("--platform", help="Platform for every record (jsonl/csv: overrides the record's).")
@click.option("--delimiter", default=",", show_default=True, help="CSV delimiter.")
@click.option(
    "--create-topics/--no-create-topics",
    default=True,
    show_default=True,
    help="Create the topics first if they do not exist.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--progress/--no-progress", default=True, help="Progress bar on stderr.")
@click.option(
    "--metrics-port",
    type=click.IntRange(min=0, max=65535),
    default=None,
    help="Serve the connector's /metrics on this port while running (0: any free port).",
)
@click.option(
    "--register-with",
    "register_with",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --metrics-port: register the endpoint in this Prometheus file_sd directory.",
)
def ingest(
    *,
    kind: str,
    paths: tuple[Path, ...],
    topic: str | None,
    dead_letter_topic: str | None,
    speed: str,
    max_wait: float | None,
    map_options: tuple[str, ...],
    mapping_file: Path | None,
    source: str | None,
    platform: str | None,
    delimiter: str,
    create_topics: bool,
    as_json: bool,
    progress: bool,
    metrics_port: int | None,
    register_with: Path | None,
) -> None:
    """Publish posts from KIND files (jsonl, csv or articles: .txt/.html files or folders)."""
    from connectors.mapping import MappingError
    from connectors.pacing import Pacer, parse_speed
    from pipeline.kafka_security import kafka_python_options
    from pipeline.settings import Settings

    try:
        pace = parse_speed(speed)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--speed") from exc
    source = source or f"{kind}:{paths[0].name}"
    try:
        connector = _connector(
            kind=kind,
            paths=paths,
            source=source,
            platform=platform,
            map_options=map_options,
            mapping_file=mapping_file,
            delimiter=delimiter,
        )
    except MappingError as exc:
        raise click.BadParameter(str(exc), param_hint="--map/--mapping") from exc

    if logging.getLogger().getEffectiveLevel() >= logging.WARNING:
        # kafka-python logs every refused connection at ERROR; our one-line message suffices.
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
    settings = Settings.load()
    bootstrap = settings.kafka.bootstrap
    posts_topic = topic or settings.topics.posts
    dlq_topic = dead_letter_topic or settings.topics.dead_letter
    if create_topics:
        from connectors.topics import TopicSetupError, ensure_topics

        try:
            ensure_topics(
                bootstrap,
                [posts_topic, dlq_topic],
                settings.topics.partitions,
                settings.topics.replication,
                **kafka_python_options(settings.kafka.security),
            )
        except TopicSetupError as exc:
            _fail(str(exc))

    from pipeline.cli.metrics_endpoint import serve_metrics
    from pipeline.metrics import Metrics

    metrics = Metrics()
    with serve_metrics(
        settings, metrics, metrics_port, connector.source, register_with, command="ingest"
    ):
        result = _publish(
            connector,
            metrics,
            bootstrap=bootstrap,
            topic=posts_topic,
            dead_letter_topic=dlq_topic,
            max_chars=settings.worker.max_post_chars,
            pacer=Pacer(pace, max_wait_s=max_wait),
            progress=progress and not as_json,
            client_config=kafka_python_options(settings.kafka.security),
        )
    result.update(speed=str(pace))
    if as_json:
        click.echo(json.dumps(result, sort_keys=True))
    else:
        _print_summary(result)
    if result["delivery_failures"]:
        sys.exit(1)


def _connector(
    *,
    kind: str,
    paths: tuple[Path, ...],
    source: str,
    platform: str | None,
    map_options: tuple[str, ...],
    mapping_file: Path | None,
    delimiter: str,
) -> Connector:
    from connectors.articles import ArticleConnector
    from connectors.csv_file import CsvConnector
    from connectors.jsonl import JsonlConnector
    from connectors.mapping import build_mapping, load_mapping_file, parse_map_options

    if kind == "articles":
        if map_options or mapping_file:
            raise click.BadParameter("articles take no field mapping", param_hint="--map")
        return ArticleConnector(list(paths), source=source, platform=platform or "web")
    overrides = load_mapping_file(mapping_file) if mapping_file else {}
    overrides.update(parse_map_options(map_options))
    mapping = build_mapping(overrides)
    if kind == "csv":
        return CsvConnector(
            list(paths), source=source, mapping=mapping, platform=platform, delimiter=delimiter
        )
    return JsonlConnector(list(paths), source=source, mapping=mapping, platform=platform)


def _publish(
    connector: Connector,
    metrics: Metrics,
    *,
    bootstrap: str,
    topic: str,
    dead_letter_topic: str,
    max_chars: int,
    pacer: Any,
    progress: bool,
    client_config: dict[str, Any],
) -> dict[str, Any]:
    """`client_config`: more producer options (security; holds secrets)."""
    from tqdm import tqdm

    from connectors.publisher import DeliveryMetrics, Publisher, PublisherError
    from connectors.replay import replay

    delivery = DeliveryMetrics(
        sent=metrics.producer_sent,
        failures=metrics.producer_delivery_failures,
        last_post=metrics.connector_last_post,
        dead_lettered=metrics.dead_lettered,
        connected=metrics.producer_connected,
    )
    started = time.monotonic()
    bar = tqdm(
        desc=f"ingest {connector.source}",
        unit="rec",
        file=sys.stderr,
        disable=not (progress and sys.stderr.isatty()),
    )
    try:
        with Publisher(
            bootstrap,
            topic=topic,
            dead_letter_topic=dead_letter_topic,
            source=connector.source,
            metrics=delivery,
            **client_config,
        ) as publisher:
            summary = replay(
                connector,
                publisher,
                max_chars=max_chars,
                pacer=pacer,
                on_item=lambda _raw: bar.update(1),
            )
            publisher.flush()
            stats = publisher.stats
    except PublisherError as exc:
        bar.close()
        _fail(str(exc))
    bar.close()
    return {
        "source": connector.source,
        "topic": topic,
        "dead_letter_topic": dead_letter_topic,
        **summary.as_dict(),
        "acknowledged": stats.posts_acked,
        "dead_letters_acknowledged": stats.dead_letters_acked,
        "delivery_failures": stats.posts_failed + stats.dead_letters_failed,
        "delivery_errors": dict(stats.errors),
        "elapsed_s": round(time.monotonic() - started, 3),
    }


def _print_summary(result: dict[str, Any]) -> None:
    reasons = ", ".join(f"{reason} {count}" for reason, count in result["by_reason"].items())
    parts = f" ({result['parts']} article parts)" if result["parts"] else ""
    click.echo(
        f"{result['source']}: read {result['read']} records in {result['elapsed_s']:.1f}s "
        f"(speed {result['speed']})"
    )
    click.echo(
        f"  published {result['published']}{parts} to {result['topic']}, "
        f"acknowledged {result['acknowledged']}"
    )
    click.echo(
        f"  dead-lettered {result['dead_lettered']} to {result['dead_letter_topic']}"
        + (f": {reasons}" if reasons else "")
    )
    if result["delivery_failures"]:
        errors = ", ".join(f"{k} {v}" for k, v in result["delivery_errors"].items())
        click.echo(f"  DELIVERY FAILURES {result['delivery_failures']}: {errors}", err=True)
