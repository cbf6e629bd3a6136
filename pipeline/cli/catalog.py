"""`narrmon catalog`: validate, list, show and import narrative catalogs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from models.catalog import Catalog

_PATH = click.Path(exists=True, path_type=Path)


def _catalog_path(path: Path | None) -> Path:
    if path is not None:
        return path
    from pipeline.settings import Settings

    configured = Settings.load().catalog.path
    if configured is None:
        raise click.UsageError("give a catalog PATH or set NARRMON_CATALOG__PATH")
    return configured


def _load(path: Path | None) -> Catalog:
    from models.catalog import CatalogError, load_catalog

    try:
        return load_catalog(_catalog_path(path))
    except CatalogError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(1)


@click.group()
def catalog() -> None:
    """Validate, list, show and import narrative catalogs."""


@catalog.command()
@click.argument("path", type=_PATH, required=False)
def validate(path: Path | None) -> None:
    """Check a catalog (file or folder); print file:line: field: problem for each error."""
    loaded = _load(path)
    click.echo(
        f"ok: {loaded.name}: {len(loaded.narratives)} narratives "
        f"({len(loaded.active)} active), version {loaded.version}"
    )


@catalog.command(name="list")
@click.argument("path", type=_PATH, required=False)
@click.option("--all", "show_all", is_flag=True, help="Include retired narratives.")
def list_(path: Path | None, show_all: bool) -> None:
    """One line per narrative: id, severity, verdict, exemplar count, title."""
    loaded = _load(path)
    for n in loaded.narratives if show_all else loaded.active:
        click.echo(f"{n.id}\t{n.severity}\t{n.verdict}\t{len(n.exemplars)}\t{n.title}")


@catalog.command()
@click.argument("narrative_id")
@click.argument("path", type=_PATH, required=False)
def show(narrative_id: str, path: Path | None) -> None:
    """Print one narrative as JSON."""
    loaded = _load(path)
    try:
        narrative = loaded.get(narrative_id)
    except KeyError:
        raise click.ClickException(f"no narrative {narrative_id!r} in {loaded.name}") from None
    click.echo(json.dumps(narrative.model_dump(mode="json"), indent=2, ensure_ascii=False))


@catalog.command(name="import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Catalog YAML to write.")  # fmt: skip
@click.option("--name", default=None, help="Catalog name (default: the output file's stem).")
def import_(source: Path, output: Path, name: str | None) -> None:
    """Convert ClaimReview JSON-LD or CheckThat! vclaims.jsonl into a catalog YAML file."""
    from models.catalog import CatalogError, dump_catalog_yaml, load_catalog, read_import_source

    try:
        narratives = read_import_source(source)
    except (CatalogError, ValueError) as exc:
        raise click.ClickException(f"{source}: {exc}") from exc
    text = dump_catalog_yaml(name or output.stem, narratives, f"Imported from {source.name}")
    output.write_text(text, encoding="utf-8")
    written = load_catalog(output)
    click.echo(f"wrote {output}: {len(written.narratives)} narratives, version {written.version}")
