"""`narrmon eval background`: hits a catalog gets on real posts about other things."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from pipeline.cli.params import EXISTING_FILE


@click.command()
@click.option("--catalog", "catalog_path", type=click.Path(exists=True, path_type=Path),
              required=True, help="Catalog: YAML file or folder.")  # fmt: skip
@click.option("--texts", "text_paths", type=EXISTING_FILE, multiple=True, required=True,
              help="Real posts: queries TSV (id<TAB>text) or JSONL (text / vclaim).")  # fmt: skip
@click.option("--exclude", default="", metavar="REGEX",
              help="Besides the catalog's keywords, leave out texts this finds (they may "
              "really be about a narrative).")  # fmt: skip
@click.option("--size", type=click.IntRange(1), default=3000, show_default=True,
              help="Posts sampled (seeded) from the texts' 'eval' part.")  # fmt: skip
@click.option(
    "--part",
    type=click.Choice(["eval", "fit"]),
    default="eval",
    show_default=True,
    help="'fit': tuning only, with --skip past the posts a classifier was fit on.",
)
@click.option("--skip", type=click.IntRange(0), default=0, show_default=True)
@click.option("--errors", "show_errors", is_flag=True, help="List every hit.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def background(  # noqa: PLR0917 (click passes options positionally)
    catalog_path: Path, text_paths: tuple[Path, ...], exclude: str, size: int, part: str,
    skip: int, show_errors: bool, as_json: bool,
) -> None:  # fmt: skip
    """Match real posts about other things (TEXTS without the catalog's keywords or EXCLUDE's
    matches; the 'eval' half of the background posts, never the half a post classifier is fit
    on) with the live settings and print how many get a hit: every such hit is a false
    alarm an analyst would have to dismiss."""
    from models.evaluation.background import Part, catalog_background
    from pipeline.cli.evaluate import live_matcher, rounded

    matcher = live_matcher(catalog_path)
    which: Part = "fit" if part == "fit" else "eval"
    chosen, read = catalog_background(matcher.catalog, text_paths, exclude, which, size, skip=skip)
    results = matcher.match(chosen)
    hits = [(t, m.narrative.id, m.scores.combined) for t, r in zip(chosen, results, strict=True)
            for m in r.matches]  # fmt: skip
    posts_hit = sum(1 for r in results if r.matches)
    per_narrative = Counter(n for _, n, _ in hits)
    rate = posts_hit / len(chosen) if chosen else 0.0
    if as_json:
        click.echo(json.dumps(rounded({
            "posts": len(chosen), "posts_with_a_hit": posts_hit, "rate": rate,
            "hits": len(hits), "per_narrative": dict(sorted(per_narrative.items())),
        })))  # fmt: skip
        return
    click.echo(f"model {matcher.model_id}  catalog {matcher.catalog_version}  background posts "
               f"{len(chosen)} (of {read} texts)")  # fmt: skip
    click.echo(f"posts with a hit {posts_hit}/{len(chosen)} ({rate:.4f})  hits {len(hits)}")
    for narrative, count in sorted(per_narrative.items(), key=lambda kv: (-kv[1], kv[0])):
        click.echo(f"  {narrative:<36} {count:>4}")
    if show_errors:
        for text, narrative, score in hits:
            click.echo(f"  {narrative}  {score:.2f}: {text[:110]}")
