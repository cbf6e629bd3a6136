"""``narrmon index``: create, inspect and migrate the Elasticsearch hits index."""

from __future__ import annotations

import click


@click.group()
def index() -> None:
    """Manage the hits index: ensure, info, migrate."""


@index.command()
@click.option("--dims", type=int, default=384, show_default=True, help="Embedding dimensions.")
def ensure(dims: int) -> None:
    """Install the template and create the write index if needed (idempotent)."""
    from pipeline.elastic.errors import ElasticError
    from pipeline.elastic.schema import prepare_hits_index
    from pipeline.settings import Settings

    settings = Settings.load()
    try:
        alias = prepare_hits_index(settings, dims)
    except ElasticError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"hits write alias: {alias}")


@index.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(as_json: bool) -> None:
    """Show the template and backing indices with their mapping versions."""
    import dataclasses
    import json

    from rich.console import Console
    from rich.table import Table

    from pipeline.cli.context import load_settings
    from pipeline.elastic.client import BACKGROUND, make_client
    from pipeline.elastic.errors import ElasticError
    from pipeline.elastic.schema.migrate import index_info

    settings = load_settings()
    client = make_client(settings, BACKGROUND)
    try:
        found = index_info(client, settings)
    except ElasticError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        client.close()
    if as_json:
        body = {"elasticsearch": settings.elasticsearch.endpoint, **dataclasses.asdict(found)}
        click.echo(json.dumps(body, indent=2))
        return
    console = Console()
    console.print(
        f"write alias [bold]{found.write_alias}[/], read alias [bold]{found.read_alias}[/] "
        f"at {settings.elasticsearch.endpoint}, "
        f"ILM: {'yes' if found.ilm else 'no (monthly indices)'}"
    )
    console.print(
        f"mapping version: code {found.code_mapping_version}, "
        f"template {found.template_version if found.template_version is not None else '-'}"
    )
    table = Table("index", "mapping version", "dims", "docs", "write")
    for row in found.indices:
        outdated = row.mapping_version < found.code_mapping_version
        version = f"[red]{row.mapping_version}[/]" if outdated else str(row.mapping_version)
        table.add_row(
            row.name,
            version,
            str(row.dims or "-"),
            str(row.docs),
            "yes" if row.is_write_index else "",
        )
    console.print(table)


@index.command()
@click.option("--dims", type=int, default=None, help="Embedding dims (default: the indices').")
def migrate(dims: int | None) -> None:
    """Apply the current template and mapping to every backing index (reindex if needed)."""
    from pipeline.elastic.client import BACKGROUND, make_client
    from pipeline.elastic.errors import ElasticError
    from pipeline.elastic.schema.migrate import migrate as run
    from pipeline.settings import Settings

    settings = Settings.load()
    client = make_client(settings, BACKGROUND)
    try:
        steps = run(client, settings, dims)
    except ElasticError as exc:  # IndexSchemaError included: an operator's decision
        raise click.ClickException(str(exc)) from exc
    finally:
        client.close()
    if not steps:
        click.echo("no backing indices yet; template installed")
    for step in steps:
        target = f" -> {step.target}" if step.target else ""
        click.echo(
            f"{step.index}: {step.action} v{step.from_version} -> v{step.to_version}{target}"
        )
