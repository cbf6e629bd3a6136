"""`narrmon eval targeting|coordination|emerging`: figures for the signal detectors on the
labelled splits in `models/evalsets/` (registered on the `eval` group by `pipeline.cli.evaluate`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.params import EXISTING_FILE

EVALSETS = Path(__file__).resolve().parents[2] / "models" / "evalsets"
SPLIT = click.Choice(["tuning", "reporting"])


def _split_path(kind: str, split: str, override: Path | None) -> Path:
    path = override or EVALSETS / f"{kind}-{split}.jsonl"
    if not path.exists():
        raise click.UsageError(f"{path} does not exist")
    return path


@click.command()
@click.option("--split", type=SPLIT, default="tuning", show_default=True)
@click.option("--posts", "posts_path", type=EXISTING_FILE, default=None, help="Another JSONL.")
@click.option(
    "--method",
    type=click.Choice(["patterns", "embedding", "combined"]),
    default="patterns",
    show_default=True,
    help="patterns (shipped), exemplar similarity alone, or patterns + similarity.",
)
@click.option("--threshold", type=float, default=None, help="Embedding margin threshold.")
@click.option("--errors", "show_errors", is_flag=True, help="List every wrong post.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def targeting(  # noqa: PLR0917 (click passes options positionally)
    split: str, posts_path: Path | None, method: str, threshold: float | None,
    show_errors: bool, as_json: bool,
) -> None:  # fmt: skip
    """Precision / recall of the targeting flag on a labelled split."""
    from models.evaluation.targeting_eval import (
        EMBEDDING_THRESHOLD,
        evaluate,
        predict,
        read_labelled,
    )

    try:
        posts = read_labelled(_split_path("targeting", split, posts_path))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    chosen = EMBEDDING_THRESHOLD if threshold is None else threshold
    report = evaluate(posts, predict(posts, method, chosen), method)  # type: ignore[arg-type]
    data = report.as_dict()
    if method != "patterns":
        data["threshold"] = chosen
    if as_json:
        if show_errors:
            data["errors"] = report.errors
        click.echo(json.dumps(data))
        return
    click.echo(f"targeting  split {posts_path or split}  method {method}  posts {report.posts} "
               f"({report.positives} targeting)")  # fmt: skip
    click.echo(f"precision {report.precision:.3f}  recall {report.recall:.3f}  "
               f"(tp {report.true_positives}, fp {report.false_positives})")  # fmt: skip
    click.echo(f"recall by kind {json.dumps(report.recall_by_kind)}")
    click.echo(f"false positives by kind {json.dumps(report.false_positives_by_kind)}")
    if show_errors:
        for err in report.errors:
            click.echo(f"  {'missed' if err['label'] else 'false'} [{err['kind']}] {err['text']}")
