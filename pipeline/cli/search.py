"""`narrmon search` and `narrmon hits`: the analyst's terminal view, on the same `HitService`
as the HTTP API (one code path for the logic; the CLI talks to Elasticsearch directly).

Output is plain text that wraps at the terminal's width (80 columns when piped), with full hit
ids; ``--json`` prints the API's JSON instead. Every command says which index it read.
"""

from __future__ import annotations

import json
from typing import Any

import click

from pipeline.api.params import SEVERITIES, SORT_ORDERS, STANCES, VERDICTS
from pipeline.api.reviews import REVIEW_LABELS

REVIEW_STATES = ("unreviewed", *REVIEW_LABELS)

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's shape).")


def _service() -> Any:
    from pipeline.api.server import build_service
    from pipeline.cli.context import load_settings

    return build_service(load_settings())


def _fail_on_service_errors(call: Any) -> Any:
    from pipeline.api.errors import SearchError
    from pipeline.api.params import ParamError
    from pipeline.elastic.errors import ElasticError

    try:
        return call()
    except ParamError as exc:
        raise click.BadParameter(exc.message, param_hint=exc.parameter) from exc
    except (SearchError, ElasticError) as exc:
        raise click.ClickException(str(exc)) from exc


def _where(service: Any) -> str:
    return f"{service.read_index} at {service.settings.elasticsearch.endpoint}"


def _dump(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


@click.command()
@click.argument("query", required=False)
@click.option("--narrative", multiple=True, help="Narrative id (repeatable).")
@click.option("--platform", multiple=True, help="Platform (repeatable).")
@click.option("--stance", multiple=True, type=click.Choice(STANCES))
@click.option("--severity", multiple=True, type=click.Choice(SEVERITIES))
@click.option("--verdict", multiple=True, type=click.Choice(VERDICTS))
@click.option("--author", multiple=True, help="Author handle (repeatable).")
@click.option("--review", multiple=True, type=click.Choice(REVIEW_STATES))
@click.option("--since", help="ISO 8601 or relative (24h, 7d).")
@click.option("--until", help="ISO 8601 or relative (24h, 7d).")
@click.option("--min-score", type=click.FloatRange(0, 1), help="Lowest combined score (0-1).")
@click.option("--sort", type=click.Choice(SORT_ORDERS), default="relevance", show_default=True)
@click.option("--size", type=click.IntRange(1, 100), default=20, show_default=True)
@_JSON
def search(
    *,
    query: str | None,
    narrative: tuple[str, ...],
    platform: tuple[str, ...],
    stance: tuple[str, ...],
    severity: tuple[str, ...],
    verdict: tuple[str, ...],
    author: tuple[str, ...],
    review: tuple[str, ...],
    since: str | None,
    until: str | None,
    min_score: float | None,
    sort: str,
    size: int,
    as_json: bool,
) -> None:
    """Search hits; QUERY uses the simple query syntax ("dead voters", -satire, rig*).

    \b
    Examples:
      narrmon search "rigged machines" --since 24h --platform bluesky
      narrmon search --narrative ballot-mules-mass-fraud --sort likes
    """
    from rich.console import Console

    from pipeline.api.params import build_filters, check_narratives
    from pipeline.cli.hit_text import hit_block, render_lines

    service = _service()
    filters = _fail_on_service_errors(
        lambda: build_filters(
            q=query,
            narrative=narrative,
            platform=platform,
            stance=stance,
            severity=severity,
            verdict=verdict,
            author=author,
            review=review,
            since=since,
            until=until,
            min_score=min_score,
        )
    )
    if filters.narrative:
        try:
            known = {n.id for n in service.catalog().narratives}
        except Exception as exc:  # the search still runs; it just cannot check the ids
            click.echo(f"narrative ids not checked: the catalog does not load: {exc}", err=True)
        else:
            _fail_on_service_errors(lambda: check_narratives(filters, known))
    result = _fail_on_service_errors(lambda: service.search(filters, sort, size))
    if as_json:
        _dump({"index": service.read_index, **result})
        return
    console = Console(highlight=False)
    for hit in result["hits"]:
        click.echo("\n".join(render_lines(console, hit_block(hit))) + "\n")
    shown = len(result["hits"])
    plus = "+" if result.get("total_relation") == "gte" else ""
    more = ", more with --size or narrower filters" if result["next"] else ""
    console.print(
        f"{result['total']}{plus} hits in {_where(service)} ({shown} shown{more})",
        markup=False,
    )


@click.group()
def hits() -> None:
    """Show and review single hits."""


@hits.command()
@click.argument("hit_id")
@_JSON
def show(hit_id: str, as_json: bool) -> None:
    """One hit with its explanation and review history (HIT_ID as printed by search)."""
    from rich.console import Console

    from pipeline.cli.hit_text import hit_detail, render_lines

    service = _service()
    detail = _fail_on_service_errors(lambda: service.get_hit(hit_id))
    if as_json:
        _dump(detail)
        return
    click.echo("\n".join(render_lines(Console(highlight=False), hit_detail(detail))))


@hits.command("review")
@click.argument("hit_id")
@click.option("--label", type=click.Choice(REVIEW_LABELS), required=True)
@click.option("--note", default=None)
@click.option(
    "--token",
    envvar="NARRMON_TOKEN",
    default=None,
    help="Your API token (env NARRMON_TOKEN); it must hold the reviewer role. The review is "
    "recorded under the token's user.",
)
def review_hit(hit_id: str, label: str, note: str | None, token: str | None) -> None:
    """Label a hit (audited and published to the reviews topic, like the API, with the same
    token and role checks)."""
    from pipeline.api.access import authorize, token_book
    from pipeline.api.http_errors import ApiError
    from pipeline.api.tokens import TokenFileError

    service = _service()
    try:
        principal = authorize(token_book(service.settings), token, "reviewer")
    except TokenFileError as exc:
        raise click.ClickException(str(exc)) from exc
    except ApiError as exc:
        hint = "" if token else " (pass --token or set NARRMON_TOKEN)"
        raise click.ClickException(f"{exc.status}: {exc.detail}{hint}") from exc
    who = principal.user
    result = _fail_on_service_errors(lambda: service.review(hit_id, label, note, who, via="cli"))
    published = "published" if result["published"] else "NOT published to Kafka"
    click.echo(
        f"{hit_id}: {result['previous']['state']} -> {result['review']['state']} "
        f"(audit {result['audit_id']}, {published})"
    )
