"""`narrmon catalog`: validate, list, show, import, publish narrative catalogs and suggest edits.

Every reading command takes the catalog the same way: ``--catalog PATH`` (or a trailing PATH
argument), else ``NARRMON_CATALOG__PATH``, else the running demo's catalog, else the bundled
example catalog; and says on stderr which one it read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from models.catalog import Catalog, Narrative

_PATH = click.Path(exists=True, path_type=Path)
_CATALOG = click.option(
    "--catalog",
    "catalog_option",
    type=_PATH,
    default=None,
    help="Catalog file or folder (default: NARRMON_CATALOG__PATH, else the bundled example).",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _catalog_path(path: Path | None, option: Path | None) -> Path:
    if path is not None and option is not None and path != option:
        raise click.UsageError("give the catalog once: PATH or --catalog, not both")
    chosen = path or option
    if chosen is not None:
        return chosen
    from pipeline.cli.context import catalog_path, load_settings

    return catalog_path(load_settings(announce=False))


def _load(path: Path | None, option: Path | None, announce: bool = True) -> Catalog:
    from models.catalog import CatalogError, load_catalog

    chosen = _catalog_path(path, option)
    try:
        loaded = load_catalog(chosen)
    except CatalogError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(1)
    if announce:
        click.echo(f"catalog {loaded.name} (version {loaded.version}) from {chosen}", err=True)
    return loaded


def _summary(n: Narrative) -> dict[str, Any]:
    return {
        "id": n.id,
        "title": n.title,
        "severity": n.severity,
        "verdict": n.verdict,
        "status": n.status,
        "exemplars": len(n.exemplars),
    }


@click.group()
def catalog() -> None:
    """Validate, list, show, import and publish catalogs; suggest edits from reviews; what the
    hit threshold costs (threshold)."""


@catalog.command()
@click.argument("path", type=_PATH, required=False)
@_CATALOG
def validate(path: Path | None, catalog_option: Path | None) -> None:
    """Check a catalog (file or folder); print file:line: field: problem for each error."""
    loaded = _load(path, catalog_option, announce=False)
    click.echo(
        f"ok: {loaded.name}: {len(loaded.narratives)} narratives "
        f"({len(loaded.active)} active), version {loaded.version}"
    )


@catalog.command(name="list")
@click.argument("path", type=_PATH, required=False)
@_CATALOG
@click.option("--all", "show_all", is_flag=True, help="Include retired narratives.")
@_JSON
def list_(path: Path | None, catalog_option: Path | None, show_all: bool, as_json: bool) -> None:
    """One line per narrative: id, severity, verdict, exemplar count, title (tab-separated)."""
    loaded = _load(path, catalog_option)
    narratives = loaded.narratives if show_all else loaded.active
    if as_json:
        body = {
            "catalog": loaded.name,
            "version": loaded.version,
            "narratives": [_summary(n) for n in narratives],
        }
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for n in narratives:
        click.echo(f"{n.id}\t{n.severity}\t{n.verdict}\t{len(n.exemplars)}\t{n.title}")


@catalog.command()
@click.argument("narrative_id")
@click.argument("path", type=_PATH, required=False)
@_CATALOG
@_JSON
def show(narrative_id: str, path: Path | None, catalog_option: Path | None, as_json: bool) -> None:
    """One narrative (NARRATIVE_ID as listed by narrmon catalog list)."""
    loaded = _load(path, catalog_option)
    try:
        narrative = loaded.get(narrative_id)
    except KeyError:
        raise click.ClickException(f"no narrative {narrative_id!r} in {loaded.name}") from None
    if as_json:
        click.echo(json.dumps(narrative.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    _print_narrative(narrative)


def _print_narrative(n: Narrative) -> None:
    from rich.console import Console, Group
    from rich.padding import Padding
    from rich.text import Text

    def section(title: str, lines: list[str]) -> list[Any]:
        if not lines:
            return []
        return [Text(title, style="bold"), *(Padding(Text(line), (0, 0, 0, 2)) for line in lines)]

    from pipeline.cli.hit_text import render_lines

    checks = [f"{c.publisher}: {c.url}" if c.publisher else str(c.url) for c in n.fact_checks]
    block = (
        n.id,
        Group(
            Padding(Text(n.title), (0, 0, 0, 2)),
            Padding(Text(f"{n.severity} · {n.verdict} · {n.status}"), (0, 0, 0, 2)),
            *section("summary", [n.summary] if n.summary else []),
            *section("why tracked", [n.why_tracked] if n.why_tracked else []),
            *section("exemplars", [f"- {e}" for e in n.exemplars]),
            *section("counter-exemplars", [f"- {e}" for e in n.counter_exemplars]),
            *section("near-misses", [f"- {e}" for e in n.near_misses]),
            *section("keywords", [", ".join(n.keywords)] if n.keywords else []),
            *section("fact checks", checks),
        ),
    )
    click.echo("\n".join(render_lines(Console(highlight=False), block)))


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


@catalog.command()
@click.argument("path", type=_PATH, required=False)
@_CATALOG
def publish(path: Path | None, catalog_option: Path | None) -> None:
    """Validate a catalog and publish it to the catalog topic: every running worker and API
    switches to it without a restart. An invalid catalog is refused (file:line: field: problem)
    and nothing is published, so the catalog in use stays."""
    from pipeline.cli.context import load_settings
    from pipeline.live_catalog.topic import publish_catalog

    loaded = _load(path, catalog_option)
    settings = load_settings()
    try:
        done = publish_catalog(settings, loaded)
    except Exception as exc:  # Kafka unreachable or refusing: say so, exit non-zero
        raise click.ClickException(f"not published to {settings.topics.catalog}: {exc}") from exc
    click.echo(
        f"published {loaded.name} version {done.version} ({len(loaded.active)} active narratives) "
        f"to {done.topic}@{done.offset} on {settings.kafka.bootstrap}"
    )


def _catalog_file(chosen: Path, narrative_id: str) -> Path:
    """The YAML file of `chosen` (a file, or a folder of them) that defines `narrative_id`."""
    from models.catalog import CatalogError, load_catalog

    if not chosen.is_dir():
        return chosen
    for file in sorted(chosen.glob("*.y*ml")):
        try:
            if any(n.id == narrative_id for n in load_catalog(file).narratives):
                return file
        except CatalogError:
            continue
    raise click.ClickException(f"no YAML file in {chosen} defines {narrative_id!r}")


@catalog.command()
@click.argument("path", type=_PATH, required=False)
@_CATALOG
@click.option(
    "--narrative", "narrative_ids", multiple=True, help="Only this narrative (repeatable)."
)
@click.option(
    "--max-new", default=5, show_default=True, help="New exemplars / near-misses per narrative."
)
@click.option("--min-judged", default=5, show_default=True,
              help="Judged reviews a threshold change needs.")  # fmt: skip
@click.option("--target-precision", default=0.9, show_default=True)
def suggest(
    path: Path | None,
    catalog_option: Path | None,
    *,
    narrative_ids: tuple[str, ...],
    max_new: int,
    min_judged: int,
    target_precision: float,
) -> None:
    """Suggest catalog edits from reviews, as a unified diff to apply by hand (narrmon never
    applies it): confirmed hits as exemplars, false positives as near-misses, and a higher
    threshold where the review counts show precision below the target. Reasons go to stderr."""
    from pipeline.agents.matcher import matcher_config
    from pipeline.api.server import build_service
    from pipeline.cli.context import load_settings
    from pipeline.elastic.errors import ElasticError
    from pipeline.elastic.review_stats import reviewed_hits
    from pipeline.feedback.suggest import ReviewedHit
    from pipeline.feedback.suggest import suggest as make_suggestion
    from pipeline.feedback.yaml_edit import apply_suggestion, unified_diff

    loaded = _load(path, catalog_option)
    chosen = _catalog_path(path, catalog_option)
    settings = load_settings()
    config = matcher_config(settings)  # the live configuration's thresholds
    client = build_service(settings, publish_reviews=False).client
    wanted = narrative_ids or tuple(n.id for n in loaded.active)
    texts: dict[Path, tuple[str, str]] = {}  # file -> (original, edited)
    for narrative_id in wanted:
        try:
            narrative = loaded.get(narrative_id)
        except KeyError:
            raise click.ClickException(f"no narrative {narrative_id!r} in {loaded.name}") from None
        try:
            rows = reviewed_hits(client, settings, narrative_id)
        except ElasticError as exc:
            raise click.ClickException(str(exc)) from exc
        hits = [ReviewedHit(r["text"], r["label"], r["score"]) for r in rows]
        current = config.threshold_for(narrative.severity, narrative.threshold)
        found = make_suggestion(
            narrative,
            hits,
            current,
            max_new=max_new,
            min_judged=min_judged,
            target=target_precision,
        )
        for reason in found.reasons or ("no reviews",):
            click.echo(f"{narrative_id}: {reason}", err=True)
        if found.empty:
            continue
        file = _catalog_file(chosen, narrative_id)
        original, edited = texts.get(file) or (file.read_text(encoding="utf-8"),) * 2
        texts[file] = (original, apply_suggestion(edited, found))
    for file, (original, edited) in texts.items():
        click.echo(unified_diff(original, edited, str(file)), nl=False)
    if not texts:
        click.echo("no suggestions", err=True)


from pipeline.cli.catalog_threshold import threshold  # noqa: E402 (registers on the group)

catalog.add_command(threshold)
