"""`narrmon eval targeting|coordination|emerging`: figures for the signal detectors on the
labelled splits in `models/evalsets/` (registered on the `eval` group by `pipeline.cli.evaluate`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pipeline.cli.params import EXISTING_FILE

EVALSETS = Path(__file__).resolve().parents[2] / "models" / "evalsets"
SPLIT = click.Choice(["tuning", "reporting"])
COORDINATION_SPLIT = click.Choice(["tuning", "tuning-dense", "reporting"])
EMERGING_SPLIT = click.Choice(
    ["tuning", "tuning-varied", "tuning-slogans", "tuning-explainers", "tuning-questions",
     "tuning-sarcasm", "tuning-mixed", "tuning-pair", "tuning-overvote", "tuning-flip",
     "tuning-flood", "reporting"]
)  # fmt: skip


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
    type=click.Choice(["classifier", "patterns", "embedding", "combined"]),
    default="classifier",
    show_default=True,
    help="classifier (live), patterns alone, exemplar similarity alone, or patterns + similarity.",
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
    from pipeline.settings import Settings

    settings = Settings.load()
    chosen = EMBEDDING_THRESHOLD if threshold is None else threshold
    predictions = predict(posts, method, chosen, settings.model.path,  # type: ignore[arg-type]
                          settings.cache_dir)  # fmt: skip
    report = evaluate(posts, predictions, method)
    data = report.as_dict()
    if method in ("embedding", "combined"):
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


@click.command()
@click.option("--split", type=COORDINATION_SPLIT, default="tuning", show_default=True)
@click.option("--posts", "posts_path", type=EXISTING_FILE, default=None, help="Another JSONL.")
@click.option(
    "--method",
    type=click.Choice(["minhash", "embedding"]),
    default="minhash",
    show_default=True,
    help="MinHash LSH (shipped) or exact embedding cosine.",
)
@click.option("--threshold", type=float, default=None, help="Link similarity threshold.")
@click.option(
    "--min-distinctive", type=click.FloatRange(0, 1), default=None,
    help="Share of uncommon shingles a post needs to be compared (0: no boilerplate filter).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def coordination(  # noqa: PLR0917 (click passes options positionally)
    split: str, posts_path: Path | None, method: str, threshold: float | None,
    min_distinctive: float | None, as_json: bool,
) -> None:  # fmt: skip
    """Group-membership precision / recall of coordinated-posting detection."""
    import dataclasses

    from models.evaluation.coordination_eval import evaluate, read_stream
    from models.signals.coordination import CoordinationConfig

    try:
        rows = read_stream(_split_path("coordination", split, posts_path))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    config = CoordinationConfig()
    if min_distinctive is not None:
        config = dataclasses.replace(config, min_distinctive=min_distinctive)
    report = evaluate(rows, method, threshold, config)
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(f"coordination  split {posts_path or split}  method {method}  "
               f"threshold {report['threshold']}  posts {report['posts']} "
               f"({report['campaign_posts']} in {report['campaigns']} campaigns)")  # fmt: skip
    click.echo(f"precision {report['precision']:.3f}  recall {report['recall']:.3f}  "
               f"groups {report['groups']} (campaigns found {report['campaigns_found']}, "
               f"groups without a campaign {report['groups_without_campaign']}, "
               f"with platform reposts {report['groups_with_platform_reposts']})")  # fmt: skip
    click.echo(f"groups per campaign {json.dumps(report['groups_per_campaign'])}")


@click.command()
@click.option("--split", type=EMERGING_SPLIT, default="tuning", show_default=True)
@click.option("--posts", "posts_path", type=EXISTING_FILE, default=None, help="Another JSONL.")
@click.option(
    "--algorithm",
    type=click.Choice(["agglomerative", "hdbscan"]),
    default="agglomerative",
    show_default=True,
)
@click.option("--interval", type=int, default=10, show_default=True, help="Minutes per round.")
@click.option(
    "--merge-similarity", type=click.FloatRange(0, 1), default=None,
    help="Centroid cosine at which clusters are joined (0: no centroid merge).",
)  # fmt: skip
@click.option(
    "--merge-scope", type=click.Choice(["bursty", "all"]), default=None,
    help="Which clusters take part in the centroid merge (default: the shipped setting).",
)  # fmt: skip
@click.option(
    "--absorb-similarity", type=click.FloatRange(0, 1), default=None,
    help="Centroid cosine at which recent stray posts join a bursty cluster (0: off).",
)  # fmt: skip
@click.option("--absorb-rounds", type=click.IntRange(1), default=None, help="Absorption passes.")
@click.option(
    "--absorb-scope", type=click.Choice(["strays", "steady"]), default=None,
    help="Absorb only posts of no cluster, or also posts of steady clusters.",
)  # fmt: skip
@click.option(
    "--regroup-distance", type=click.FloatRange(0, 2), default=None,
    help="Cosine distance at which the posts no cluster took are regrouped (0: off).",
)  # fmt: skip
@click.option(
    "--sustain", type=click.FloatRange(0), default=None,
    help="Minutes ago a candidate must also have grown (0: off).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def emerging(  # noqa: PLR0917 (click passes options positionally)
    split: str, posts_path: Path | None, algorithm: str, interval: int,
    merge_similarity: float | None, merge_scope: str | None, absorb_similarity: float | None,
    absorb_rounds: int | None, absorb_scope: str | None, regroup_distance: float | None,
    sustain: float | None, as_json: bool,
) -> None:  # fmt: skip
    """Replay a labelled stream through the unmatched-post store and clustering rounds; print
    when the injected narrative surfaced, with cluster precision / recall."""
    import dataclasses
    from datetime import timedelta

    from models.evaluation.emerging_eval import embed, read_stream, replay
    from models.signals.emerging import EmergingConfig
    from pipeline.settings import Settings

    settings = Settings.load()
    try:
        rows = read_stream(_split_path("emerging", split, posts_path))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    vectors = embed(rows, settings.model.path, settings.cache_dir)
    config = dataclasses.replace(EmergingConfig(), algorithm=algorithm)  # type: ignore[arg-type]
    if merge_similarity is not None:
        config = dataclasses.replace(config, merge_similarity=merge_similarity or None)
    if merge_scope is not None:
        config = dataclasses.replace(config, merge_bursty_only=merge_scope == "bursty")
    if absorb_similarity is not None:
        config = dataclasses.replace(config, absorb_similarity=absorb_similarity or None)
    if absorb_rounds is not None:
        config = dataclasses.replace(config, absorb_rounds=absorb_rounds)
    if absorb_scope is not None:
        config = dataclasses.replace(config, absorb_from_steady=absorb_scope == "steady")
    if regroup_distance is not None:
        config = dataclasses.replace(config, regroup_distance=regroup_distance or None)
    if sustain is not None:
        config = dataclasses.replace(
            config, sustain=timedelta(minutes=sustain) if sustain else None
        )
    labels = sorted({r.narrative for r in rows if r.narrative is not None})
    for label in labels:  # a stream with several narratives: each scored on its own
        narrative = label if len(labels) > 1 else None
        report = replay(rows, vectors, config, timedelta(minutes=interval), narrative=narrative)
        if as_json:
            click.echo(json.dumps(report | {"narrative": label}))
            continue
        click.echo(f"emerging  split {posts_path or split}  narrative {label}  {algorithm}  "
                   f"posts {len(rows)} (injected {report['injected_posts']})  rounds "
                   f"{report['rounds_run']} every {interval} min")  # fmt: skip
        _print_emerging(report)


def _print_emerging(report: dict[str, Any]) -> None:
    if "surfaced_at" in report:
        click.echo(
            f"surfaced at {report['surfaced_at']}: round "
            f"{report['rounds_after_last_injected_post']} after the last injected post, "
            f"{report['minutes_from_first_injected_post']} min after the first; cluster "
            f"precision {report['precision']:.3f} recall {report['recall']:.3f}"
        )
        click.echo(f"top terms {report['candidate']['top_terms']}")
    else:
        click.echo(f"NOT surfaced with >= {report['target_recall']:.0%} of its posts "
                   f"(best recall {report['best_recall']})")  # fmt: skip
    if "first_detection_minutes" in report:
        click.echo(f"first detection {report['first_detection_minutes']} min after the first "
                   f"injected post (recall {report['first_detection_recall']}, precision "
                   f"{report['first_detection_precision']})")  # fmt: skip
    click.echo(f"false candidates over the stream {report['false_candidates']}")
