"""`narrmon connect SOURCE [options]`: run one live source until stopped.

Every source takes the common options (limits, filters, topics, metrics, checkpoint); each
subcommand adds the options of its platform. Exit code 0 when the run ended by a signal, a limit
or the source's own end with everything acknowledged by Kafka; 1 when Kafka could not be reached,
a delivery failed, or the platform refused us (bad token, unknown feed); 2 for bad options.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pipeline.cli.live import CommonOptions
from pipeline.cli.params import EXISTING_FILE

_COMMON: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    click.option("--source", help="Source name for the checkpoint and metrics (default: kind)."),
    click.option("--max-posts", type=click.IntRange(min=1), help="Stop after N posts."),
    click.option("--duration", type=click.FloatRange(min=0, min_open=True), help="Stop after S s."),
    click.option("--json", "as_json", is_flag=True, help="Print one JSON summary at exit."),
    click.option(
        "--metrics-port",
        type=click.IntRange(min=0, max=65535),
        help="Serve /metrics on this port (0: any free port).",
    ),
    click.option(
        "--register-with",
        type=click.Path(file_okay=False, path_type=Path),
        help="With --metrics-port: register the endpoint in this Prometheus file_sd directory.",
    ),
    click.option("--keyword", "keywords", multiple=True, help="Keep posts containing this."),
    click.option("--lang", "languages", multiple=True, help="Keep posts in this language."),
    click.option("--account", "accounts", multiple=True, help="Keep posts by this account."),
    click.option("--topic", help="Posts topic (default: settings topics.posts)."),
    click.option("--dead-letter-topic", help="Dead-letter topic (default: topics.dead_letter)."),
    click.option("--events-topic", help="Deletes/edits topic (default: topics.post_events)."),
    click.option(
        "--checkpoint/--no-checkpoint",
        default=True,
        show_default=True,
        help="Resume from and save the checkpoint under the state dir.",
    ),
    click.option("--reconnect-min", type=click.FloatRange(min=0.05), help="First backoff (s)."),
    click.option("--reconnect-max", type=click.FloatRange(min=0.05), help="Backoff cap (s)."),
    click.option(
        "--create-topics/--no-create-topics",
        default=True,
        show_default=True,
        help="Create the topics first if they do not exist.",
    ),
]


def live_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the common options to a source subcommand; it receives them as `common`."""

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        names = CommonOptions.__dataclass_fields__
        common = CommonOptions(**{name: kwargs.pop(name) for name in names})
        return command(common=common, **kwargs)

    for option in reversed(_COMMON):
        wrapper = option(wrapper)
    return wrapper


@click.group()
def connect() -> None:
    """Run a live source: read a platform's stream and publish its posts to Kafka."""


def run_source(kind: str, options: dict[str, Any], common: CommonOptions) -> None:
    """Build, run and summarise one source (exits with the command's code)."""
    from pydantic import ValidationError

    from connectors.live.checkpoint import CheckpointError
    from connectors.live.registry import build_source
    from connectors.live.run_types import RunLimits
    from connectors.live.service import RunOptions, run_live
    from connectors.live.source import Filters, SourceError
    from connectors.publisher import DeliveryMetrics, PublisherError
    from pipeline.cli.live import (
        backoff_policies,
        checkpoint_dir,
        fail,
        kafka_target,
        prepare_topics,
        print_summary,
        run_until_stopped,
    )
    from pipeline.cli.metrics_endpoint import serve_metrics
    from pipeline.metrics import Metrics
    from pipeline.settings import Settings

    name = common.source or kind
    try:
        source = build_source(kind, options, source=name, accounts=common.accounts)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(s) for s in error["loc"])
        raise click.BadParameter(f"{field}: {error['msg']}") from exc
    except SourceError as exc:
        fail("connect", str(exc))
    settings = Settings.load()
    target = kafka_target(settings, common)
    if common.create_topics:
        prepare_topics("connect", settings, target)
    run_options = RunOptions(
        state_dir=checkpoint_dir(settings),
        max_chars=settings.worker.max_post_chars,
        limits=RunLimits(max_posts=common.max_posts, duration_s=common.duration),
        filters=Filters.of(common.keywords, common.languages, common.accounts),
        backoff=backoff_policies(common, source),
        checkpoint=common.checkpoint,
    )
    metrics = Metrics()
    from connectors.live.metrics import LiveMetrics

    live = LiveMetrics(metrics.registry)
    delivery = DeliveryMetrics(
        sent=metrics.producer_sent,
        failures=metrics.producer_delivery_failures,
        last_post=metrics.connector_last_post,
        dead_lettered=metrics.dead_lettered,
        connected=metrics.producer_connected,
    )
    with serve_metrics(
        settings, metrics, common.metrics_port, name, common.register_with, command="connect"
    ):
        try:
            result = run_until_stopped(
                lambda stop: run_live(
                    source,
                    target,
                    run_options,
                    stop,
                    delivery_metrics=delivery,
                    live_metrics=live,
                )
            )
        except (PublisherError, CheckpointError) as exc:
            fail("connect", str(exc))
    if common.as_json:
        click.echo(json.dumps(result, sort_keys=True, default=str))
    else:
        print_summary(result)
    if result["error"]:
        sys.exit(1)


@connect.command()
@click.option("--endpoint", default=None, help="Jetstream /subscribe URL (ws:// or wss://).")
@click.option("--collection", "collections", multiple=True, help="wantedCollections (repeat).")
@click.option("--did", "dids", multiple=True, help="wantedDids: only these accounts (repeat).")
@click.option("--rewind", type=click.FloatRange(min=0), help="Seconds to rewind on resume.")
@live_options
def bluesky(
    *,
    common: CommonOptions,
    endpoint: str | None,
    collections: tuple[str, ...],
    dids: tuple[str, ...],
    rewind: float | None,
) -> None:
    """Bluesky posts, deletes and edits from a Jetstream instance."""
    options: dict[str, Any] = {"dids": dids}
    if endpoint:
        options["endpoint"] = endpoint
    if collections:
        options["collections"] = collections
    if rewind is not None:
        options["rewind_s"] = rewind
    run_source("bluesky", options, common)


@connect.command()
@click.option("--instance", required=True, help="The instance, e.g. https://mastodon.social.")
@click.option(
    "--stream",
    default="public",
    show_default=True,
    help="public, public:local, hashtag:TAG or hashtag:local:TAG.",
)
@click.option("--token-file", type=EXISTING_FILE, help="File holding a read:statuses token.")
@click.option("--streaming-url", help="The instance's streaming base URL if not the instance.")
@click.option(
    "--backfill-pages",
    type=click.IntRange(min=0, max=100),
    help="REST pages (of 40) to catch up after a restart (default 10; 0: none).",
)
@live_options
def mastodon(
    *,
    common: CommonOptions,
    instance: str,
    stream: str,
    token_file: Path | None,
    streaming_url: str | None,
    backfill_pages: int | None,
) -> None:
    """Mastodon statuses, deletes and edits from the streaming API."""
    options: dict[str, Any] = {"instance": instance, "stream": stream, "token_file": token_file}
    if streaming_url:
        options["streaming_url"] = streaming_url
    if backfill_pages is not None:
        options["backfill_pages"] = backfill_pages
    run_source("mastodon", options, common)


@connect.command()
@click.argument("feeds", nargs=-1)
@click.option("--feeds-file", type=EXISTING_FILE, help="Feeds, one 'URL [SECONDS]' per line.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    help="Seconds between fetches of a feed (default 300; a feeds file may override per feed).",
)
@click.option("--once", is_flag=True, help="Fetch every feed once, then exit.")
@live_options
def rss(
    *,
    common: CommonOptions,
    feeds: tuple[str, ...],
    feeds_file: Path | None,
    interval: float | None,
    once: bool,
) -> None:
    """RSS and Atom feeds: new items as articles (conditional GETs, deduped across restarts)."""
    options: dict[str, Any] = {"feeds": feeds, "feeds_file": feeds_file, "once": once}
    if interval is not None:
        options["interval_s"] = interval
    run_source("rss", options, common)


@connect.command(name="x")
@click.option("--bearer-token-file", type=EXISTING_FILE, required=True, help="App bearer token.")
@click.option("--rules-file", type=EXISTING_FILE, required=True, help="YAML list of rules.")
@click.option("--api-base", help="API base URL (default https://api.x.com).")
@click.option(
    "--backfill-minutes",
    type=click.IntRange(min=0, max=5),
    help="On resume, ask X to replay up to N minutes (Pro/Enterprise access only).",
)
@live_options
def x_stream(
    *,
    common: CommonOptions,
    bearer_token_file: Path,
    rules_file: Path,
    api_base: str | None,
    backfill_minutes: int | None,
) -> None:
    """X filtered stream v2: rules synced from the file, tweets with author expansions."""
    options: dict[str, Any] = {"bearer_token_file": bearer_token_file, "rules_file": rules_file}
    if api_base:
        options["api_base"] = api_base
    if backfill_minutes is not None:
        options["backfill_minutes"] = backfill_minutes
    run_source("x", options, common)


@connect.command()
@click.option("--channel", "channels", multiple=True, required=True, help="Channel (repeat).")
@click.option("--session-file", type=EXISTING_FILE, required=True, help="Telethon user session.")
@click.option("--api-id", type=click.IntRange(min=1), required=True, help="my.telegram.org id.")
@click.option("--api-hash-file", type=EXISTING_FILE, required=True, help="File with api_hash.")
@click.option(
    "--backfill-limit",
    type=click.IntRange(min=0, max=5000),
    help="Messages per channel to catch up after a restart (default 200).",
)
@click.option(
    "--flood-sleep-threshold",
    type=click.IntRange(min=0, max=86_400),
    help="FloodWaits up to S s are slept inside Telethon, longer ones reconnect (default 60).",
)
@live_options
def telegram(
    *,
    common: CommonOptions,
    channels: tuple[str, ...],
    session_file: Path,
    api_id: int,
    api_hash_file: Path,
    backfill_limit: int | None,
    flood_sleep_threshold: int | None,
) -> None:
    """Telegram public channels (Telethon, a user session): messages, edits, deletions."""
    options: dict[str, Any] = {
        "channels": channels,
        "session_file": session_file,
        "api_id": api_id,
        "api_hash_file": api_hash_file,
    }
    if backfill_limit is not None:
        options["backfill_limit"] = backfill_limit
    if flood_sleep_threshold is not None:
        options["flood_sleep_threshold_s"] = flood_sleep_threshold
    run_source("telegram", options, common)
