"""`narrmon escalations create|update|list|export`: escalations to platforms from the terminal,
on the same `EscalationService` as the HTTP API (audited the same way, ``via: cli``)."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Any

import click

from pipeline.escalations.records import ACTIONS, STATUSES

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's shape).")
_BY = click.option("--by", "who", default=None, help="Who acts (default: the login name).")


def _service() -> Any:
    from pipeline.api.server import build_service
    from pipeline.cli.context import load_settings
    from pipeline.escalations.service import EscalationService

    settings = load_settings()
    return EscalationService(build_service(settings, publish_reviews=False).client, settings)


def _run(call: Any) -> Any:
    from pydantic import ValidationError

    from pipeline.elastic.errors import ElasticError

    try:
        return call()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "input"
        raise click.BadParameter(first["msg"], param_hint=field) from exc
    except ElasticError as exc:
        raise click.ClickException(str(exc)) from exc


def _line(e: Any) -> str:
    return (
        f"{e.id}  {e.status:<11} {e.action:<21} {e.platform:<9} {e.narrative_id}  "
        f"{e.updated_at:%Y-%m-%d %H:%M}  {e.hit_id}"
    )


@click.group()
def escalations() -> None:
    """Escalations of hits to their platforms: create, update, list, export a tracking sheet."""


@escalations.command()
@click.argument("hit_id")
@click.option("--action", type=click.Choice(ACTIONS), required=True, help="What is asked.")
@click.option("--channel", required=True, help="How it reaches the platform (e.g. portal).")
@click.option("--reason", required=True, help="Why it is escalated.")
@click.option("--status", type=click.Choice(STATUSES), default="open", show_default=True)
@click.option("--outcome", default=None)
@_BY
@_JSON
def create(hit_id: str, who: str | None, as_json: bool, **fields: Any) -> None:
    """Escalate HIT_ID (as printed by narrmon search)."""
    from pipeline.escalations.records import EscalationCreate

    service = _service()
    request = _run(lambda: EscalationCreate(hit_id=hit_id, **fields))
    made = _run(lambda: service.create(request, who or getpass.getuser(), via="cli"))
    click.echo(json.dumps(made.model_dump(mode="json"), indent=2) if as_json else _line(made))


@escalations.command()
@click.argument("escalation_id")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--outcome", default=None)
@click.option("--channel", default=None)
@click.option("--note", default=None, help="Why (kept in the audit trail).")
@_BY
@_JSON
def update(escalation_id: str, who: str | None, as_json: bool, **fields: Any) -> None:
    """Change ESCALATION_ID's status, outcome or channel."""
    from pipeline.escalations.records import EscalationUpdate

    service = _service()
    request = _run(lambda: EscalationUpdate(**fields))
    done = _run(lambda: service.update(escalation_id, request, who or getpass.getuser(), "cli"))
    click.echo(json.dumps(done.model_dump(mode="json"), indent=2) if as_json else _line(done))


@escalations.command("list")
@click.option("--status", multiple=True, type=click.Choice(STATUSES))
@click.option("--platform", multiple=True)
@click.option("--narrative", multiple=True)
@click.option("--hit", multiple=True)
@_JSON
def list_escalations(as_json: bool, **filters: tuple[str, ...]) -> None:
    """Escalations, newest update first, then the summary counts."""
    from pipeline.escalations.sheet import COUNTS, summary

    service = _service()
    found = _run(lambda: service.find(filters))
    counts = summary(found)
    if as_json:
        body = {"escalations": [e.model_dump(mode="json") for e in found], "summary": counts}
        click.echo(json.dumps(body, indent=2))
        return
    for e in found:
        click.echo(_line(e))
    total = counts["total"]
    click.echo(f"{len(found)} escalations: " + ", ".join(f"{k} {total[k]}" for k in COUNTS))
    for row in counts["platforms"]:
        click.echo(f"  {row['platform']:<12} " + ", ".join(f"{k} {row[k]}" for k in COUNTS))


@escalations.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export(fmt: str, output: Path | None) -> None:
    """The tracking sheet (CSV with formula-safe cells, or JSON with the summary)."""
    from pipeline.escalations import sheet

    found = _run(lambda: _service().find())
    text = "".join(sheet.csv_lines(found)) if fmt == "csv" else sheet.json_document(found)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(found)} escalations to {output}", err=True)
