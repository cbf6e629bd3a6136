"""``narrmon search`` and ``narrmon hits``: the analyst's terminal view, on the same `HitService`
as the HTTP API (one code path for the logic; the CLI talks to Elasticsearch directly)."""

from __future__ import annotations

import getpass
from typing import Any

import click

LABELS = ("confirmed", "false_positive", "needs_context")


def _service() -> Any:
    from pipeline.api.server import build_service
    from pipeline.settings import Settings

    return build_service(Settings.load())


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


@click.command()
@click.argument("query", required=False)
@click.option("--narrative", multiple=True, help="Narrative id (repeatable).")
@click.option("--platform", multiple=True, help="Platform (repeatable).")
@click.option("--stance", multiple=True, type=click.Choice(["promotes", "debunks", "discusses"]))
@click.option("--severity", multiple=True, type=click.Choice(["low", "medium", "high", "critical"]))
@click.option("--author", multiple=True, help="Author handle (repeatable).")
@click.option("--review", multiple=True, help="Review state (repeatable).")
@click.option("--since", help="ISO 8601 or relative (24h, 7d).")
@click.option("--until", help="ISO 8601 or relative (24h, 7d).")
@click.option("--min-score", type=float)
@click.option(
    "--sort", type=click.Choice(["relevance", "newest", "oldest", "score"]), default="relevance"
)
@click.option("--size", type=click.IntRange(1, 100), default=20, show_default=True)
def search(
    *,
    query: str | None,
    narrative: tuple[str, ...],
    platform: tuple[str, ...],
    stance: tuple[str, ...],
    severity: tuple[str, ...],
    author: tuple[str, ...],
    review: tuple[str, ...],
    since: str | None,
    until: str | None,
    min_score: float | None,
    sort: str,
    size: int,
) -> None:
    """Search hits, e.g. ``narrmon search "rigged machines" --since 24h --platform bluesky``."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from pipeline.api.params import build_filters

    service = _service()
    result = _fail_on_service_errors(
        lambda: service.search(
            build_filters(
                q=query,
                narrative=narrative,
                platform=platform,
                stance=stance,
                severity=severity,
                author=author,
                review=review,
                since=since,
                until=until,
                min_score=min_score,
            ),
            sort,
            size,
        )
    )
    table = Table("when", "platform", "narrative", "sev", "stance", "score", "review", "text", "id")
    for hit in result["hits"]:
        f = hit["fields"]
        fragments = hit["highlight"].get("post.text") or [f["post.text"] or ""]
        text = Text.from_markup(
            " … ".join(fragments).replace("<mark>", "[bold yellow]").replace("</mark>", "[/]")
        )
        table.add_row(
            (f["post.created_at"] or "")[:16],
            f["post.platform"],
            f["narrative.id"],
            f["narrative.severity"],
            f["stance"] or "",
            f"{f['scores.combined']:.2f}",
            f["review.state"] or "unreviewed",
            text,
            hit["id"],
        )
    console = Console()
    console.print(table)
    more = " (more: narrow the filters or raise --size)" if result["next"] else ""
    console.print(f"{result['total']} hits{more}")


@click.group()
def hits() -> None:
    """Show and review single hits."""


@hits.command()
@click.argument("hit_id")
def show(hit_id: str) -> None:
    """One hit with its explanation and review history."""
    from rich.console import Console

    service = _service()
    detail = _fail_on_service_errors(lambda: service.get_hit(hit_id))
    hit, review = detail["hit"], detail["review"]
    explanation = hit.get("explanation") or {}
    console = Console()
    console.print(f"[bold]{detail['id']}[/] ({detail['index']})")
    post = hit["post"]
    author = (post.get("author") or {}).get("handle") or "?"
    console.print(f"{post['platform']} · {author} · {post['created_at']} · {post.get('url') or ''}")
    console.print(post["text"], markup=False)
    narrative = hit["narrative"]
    console.print(
        f"\n[bold]narrative[/] {narrative['id']}: {narrative['title']} "
        f"({narrative['severity']}, {narrative['verdict']}) stance: {hit.get('stance')}"
    )
    console.print("[bold]why flagged[/] " + (explanation.get("summary") or ""), markup=True)
    console.print(
        f"  exemplar: {explanation.get('best_exemplar')}\n"
        f"  scores: fused {explanation.get('fused_score'):.3f} (dense "
        f"{explanation.get('dense_score'):.3f}, lexical {explanation.get('lexical_score'):.3f}) "
        f"threshold {explanation.get('threshold')}\n"
        f"  keywords: {', '.join(explanation.get('keywords_matched') or []) or '-'}"
        f"  stance evidence: {explanation.get('stance_evidence') or '-'}",
        markup=False,
    )
    console.print(f"[bold]review[/] {review['state']} by {review['reviewer'] or '-'}")
    for entry in detail["history"]:
        console.print(
            f"  {entry['at']} {entry['reviewer']}: {entry['before']['state']} -> "
            f"{entry['after']['state']} {entry.get('note') or ''}",
            markup=False,
        )


@hits.command("review")
@click.argument("hit_id")
@click.option("--label", type=click.Choice(LABELS), required=True)
@click.option("--note", default=None)
@click.option("--reviewer", default=None, help="Who reviews (default: the login name).")
def review_hit(hit_id: str, label: str, note: str | None, reviewer: str | None) -> None:
    """Label a hit (audited and published to the reviews topic, like the API)."""
    service = _service()
    who = reviewer or getpass.getuser()
    result = _fail_on_service_errors(lambda: service.review(hit_id, label, note, who, via="cli"))
    published = "published" if result["published"] else "NOT published to Kafka"
    click.echo(
        f"{hit_id}: {result['previous']['state']} -> {result['review']['state']} "
        f"(audit {result['audit_id']}, {published})"
    )
