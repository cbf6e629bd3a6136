"""`narrmon eval`: matching quality on labelled data (CheckThat! 2022 task 2A formats, labelled
posts JSONL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.cli.params import EXISTING_FILE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from models.evaluation.posts_curve import CurvePoint
    from models.matching.matcher import NarrativeMatcher
    from models.matching.rerank import Reranker


@click.group(name="eval")
def evaluate() -> None:
    """Evaluate matching quality."""


@evaluate.command()
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    help="Catalog: YAML file/folder or CheckThat! vclaims.jsonl.",
)
@click.option(
    "--queries",
    type=EXISTING_FILE,
    required=True,
    help="Queries TSV: id<TAB>text.",
)
@click.option(
    "--qrels",
    type=EXISTING_FILE,
    required=True,
    help="Qrels TSV: qid 0 vclaim_id 1.",
)
@click.option(
    "--fusion",
    type=click.Choice(["live", "rerank", "linear", "dense", "lexical", "rrf"]),
    default="live",
    show_default=True,
    help="How to rank candidates (live: exactly the worker's ranking from the settings, the "
    "re-ranker by default; rerank: logistic re-ranker over the top linear candidates).",
)
@click.option(
    "--reranker",
    "reranker_path",
    type=EXISTING_FILE,
    default=None,
    help="Re-ranker weights JSON (default: the shipped one, fit on CheckThat! 2022 2A train).",
)
@click.option(
    "--rerank-queries",
    type=EXISTING_FILE,
    default=None,
    help="TRAIN queries: fit the re-ranker on them for this model and catalog (cached).",
)
@click.option(
    "--rerank-qrels",
    type=EXISTING_FILE,
    default=None,
    help="TRAIN qrels for --rerank-queries.",
)
@click.option(
    "--model",
    "model_path",
    default=None,
    help="sentence-transformers model folder (default: settings, else packaged).",
)
@click.option(
    "--finetune-queries",
    type=EXISTING_FILE,
    default=None,
    help="TRAIN queries: fine-tune the model on them first (cached).",
)
@click.option(
    "--finetune-qrels",
    type=EXISTING_FILE,
    default=None,
    help="TRAIN qrels for --finetune-queries.",
)
@click.option("--lexical-weight", type=float, default=None, help="Override the fusion weight.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def claims(  # noqa: PLR0917 (click passes options positionally)
    catalog_path: Path, queries: Path, qrels: Path, fusion: str, model_path: str | None,
    finetune_queries: Path | None, finetune_qrels: Path | None, lexical_weight: float | None,
    as_json: bool, reranker_path: Path | None = None, rerank_queries: Path | None = None,
    rerank_qrels: Path | None = None,
) -> None:  # fmt: skip
    """Rank CATALOG narratives for each query and print MAP@1/3/5, MRR, P@1, Recall@5/10.

    With --finetune-queries/--finetune-qrels (a TRAIN split, never the one evaluated) the model is
    first fine-tuned on those pairs, or reused from the cache if it was built before. The
    default fusion re-ranks with the shipped weights (python -m models.evaluation.rerank_train
    builds them from TRAIN); --rerank-queries/--rerank-qrels fit new ones for this model and
    catalog instead.
    """
    import dataclasses

    from models.evaluation.claims_eval import run_claims_eval
    from models.evaluation.metrics import qrels_mismatch, read_qrels, read_queries
    from models.matching.matcher import load_matcher
    from pipeline.agents.matcher import matcher_config
    from pipeline.embedding import embedder_from_settings
    from pipeline.settings import Settings

    try:
        texts, relevant = read_queries(queries), read_qrels(qrels)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    settings = Settings.load()
    set_threads(settings.model.threads)
    model_path = model_path or settings.model.path
    if (finetune_queries is None) != (finetune_qrels is None):
        raise click.UsageError("--finetune-queries and --finetune-qrels go together")
    if finetune_queries is not None and finetune_qrels is not None:
        if finetune_queries.resolve() == queries.resolve():
            raise click.UsageError("refusing to fine-tune on the queries being evaluated")
        from models.evaluation.finetune import claim_pairs, ensure_finetuned

        pairs = claim_pairs(catalog_path, finetune_queries, finetune_qrels)
        model_path = str(ensure_finetuned(settings.cache_dir, pairs, model_path))
    config = matcher_config(settings)  # the live configuration
    if fusion == "live":
        fusion = "rerank" if config.reranker is not None else "linear"
    if lexical_weight is not None:
        config = dataclasses.replace(config, lexical_weight=lexical_weight)
    matcher = load_matcher(
        catalog_path,
        cache_dir=settings.cache_dir,
        config=config,
        embedder=embedder_from_settings(settings, model_path),
    )
    if (rerank_queries is None) != (rerank_qrels is None):
        raise click.UsageError("--rerank-queries and --rerank-qrels go together")
    if fusion == "rerank":
        matcher = matcher.with_reranker(
            _reranker(matcher, queries, reranker_path or settings.matcher.reranker,
                      train_queries=rerank_queries, train_qrels=rerank_qrels,
                      cache_dir=settings.cache_dir)
        )  # fmt: skip
    else:
        matcher = matcher.with_reranker(None)
    problem = qrels_mismatch(texts, relevant, {r.id for r in matcher.narratives()})
    if problem is not None:
        raise click.UsageError(f"{qrels}: {problem}")
    report = run_claims_eval(matcher, texts, relevant, fusion)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                               for k, v in report.as_json().items()}))  # fmt: skip
        return
    click.echo(f"model {matcher.model_id}  catalog {matcher.catalog_version}  fusion {fusion}  "
               f"queries {report.queries}")  # fmt: skip
    for key, value in report.metrics.items():
        click.echo(f"{key:>10}  {value:.4f}")
    click.echo(f"{'ms/query':>10}  {report.ms_per_query:.1f}")


@evaluate.command()
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    help="Catalog: YAML file or folder.",
)
@click.option(
    "--posts",
    "posts_paths",
    type=EXISTING_FILE,
    required=True,
    multiple=True,
    help="Labelled posts JSONL: text + label {narrative, stance} (or demo_label); repeat it to "
    "score several sets pooled.",
)
@click.option("--threshold", type=float, default=None, help="Override the default threshold.")
@click.option(
    "--reranker",
    "reranker_path",
    type=EXISTING_FILE,
    default=None,
    help="Re-rank with these weights (default: settings' matcher.reranker, else linear).",
)
@click.option("--errors", "show_errors", is_flag=True, help="List every wrong post.")
@click.option("--curve", "show_curve", is_flag=True,
              help="Also print precision, recall and chatter false positives at each "
              "threshold.")  # fmt: skip
@click.option("--target-precision", type=click.FloatRange(0.0, 1.0), default=None,
              help="Print the threshold reaching this precision and the recall it "
              "costs.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def posts(  # noqa: PLR0917 (click passes options positionally)
    catalog_path: Path, posts_paths: tuple[Path, ...], threshold: float | None,
    reranker_path: Path | None,
    show_errors: bool, show_curve: bool, target_precision: float | None, as_json: bool,
) -> None:  # fmt: skip
    """Match labelled POSTS against CATALOG and print narrative precision / recall / F1 (top
    match per post; chatter is right when nothing matches), the chatter false-positive rate,
    stance accuracy on correctly matched posts and a per-narrative table; with --curve or
    --target-precision, what each threshold costs (models.evaluation.posts_curve)."""
    import dataclasses

    from models.evaluation.posts_curve import at_precision, posts_curve
    from models.evaluation.posts_eval import (
        predict,
        read_labelled_posts,
        score_posts,
        unknown_labels,
    )
    from models.matching.matcher import load_matcher
    from models.matching.rerank import Reranker
    from pipeline.agents.matcher import matcher_config
    from pipeline.embedding import embedder_from_settings
    from pipeline.settings import Settings

    settings = Settings.load()
    set_threads(settings.model.threads)
    try:
        per_file = [(path, read_labelled_posts(path)) for path in posts_paths]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    labelled = [post for _, posts_of in per_file for post in posts_of]
    config = matcher_config(settings)
    if threshold is not None:
        config = dataclasses.replace(config, threshold=threshold, probability_threshold=threshold)
    if reranker_path is not None:
        config = dataclasses.replace(config, reranker=Reranker.load(reranker_path))
    matcher = load_matcher(
        catalog_path,
        cache_dir=settings.cache_dir,
        config=config,
        embedder=embedder_from_settings(settings),
    )
    active = {r.id for r in matcher.narratives()}
    for path, posts_of in per_file:
        problem = unknown_labels(posts_of, active, path)
        if problem is not None:
            raise click.UsageError(problem)
    report = score_posts(labelled, predict(matcher, labelled))
    points: list[CurvePoint] = []
    target: CurvePoint | None = None
    if show_curve or target_precision is not None:
        points = posts_curve(matcher, labelled)
        target = at_precision(points, target_precision) if target_precision is not None else None
    if as_json:
        data = report.as_json()
        if not show_errors:
            data.pop("errors")
            data.pop("stance_errors")
        if points:
            data["curve"] = [p.as_json() for p in points]
        if target_precision is not None:
            data["target_precision"] = target_precision
            data["at_target"] = target.as_json() if target is not None else None
        click.echo(json.dumps(rounded(data)))
        return
    mode = "rerank" if config.reranker is not None else "linear"
    shown = config.threshold
    if matcher.calibrator is not None:
        mode += " calibrated"
        shown = config.probability_threshold or matcher.calibrator.threshold
    click.echo(f"model {matcher.model_id}  catalog {matcher.catalog_version}  {mode}  "
               f"threshold {shown}  posts {report.posts} "
               f"({report.labelled} narrative, {report.chatter} chatter)")  # fmt: skip
    click.echo(f"precision {report.precision:.3f}  recall {report.recall:.3f}  "
               f"F1 {report.f1:.3f}  accuracy {report.accuracy:.3f}")  # fmt: skip
    click.echo(f"chatter false positives {report.chatter_hits}/{report.chatter} "
               f"({report.chatter_fp_rate:.3f})")  # fmt: skip
    click.echo(f"every hit (second hits too): {report.hits} hits, {report.correct_hits} on the "
               f"labelled narrative, hit precision {report.hit_precision:.3f}")  # fmt: skip
    by_stance = ", ".join(f"{k} {m / n:.3f} ({m}/{n})"
                          for k, (m, n) in report.recall_by_stance.items())  # fmt: skip
    if by_stance:
        click.echo(f"recall by labelled stance: {by_stance}")
    click.echo(f"stance accuracy {report.stance_correct}/{report.stance_labelled} "
               f"({report.stance_accuracy:.3f})  confusion (label -> got) "
               f"{json.dumps(report.stance_confusion, sort_keys=True)}")  # fmt: skip
    click.echo(f"{'narrative':<36} {'supp':>4} {'pred':>4} {'tp':>3} {'P':>5} {'R':>5} "
               f"{'F1':>5} {'stance':>6}")  # fmt: skip
    for row in report.per_narrative:
        click.echo(f"{row.narrative:<36} {row.support:>4} {row.predicted:>4} "
                   f"{row.true_positives:>3} {row.precision:>5.2f} {row.recall:>5.2f} "
                   f"{row.f1:>5.2f} {row.stance_accuracy:>6.2f}")  # fmt: skip
    if show_errors:
        for text, label, got in report.errors:
            click.echo(f"  label {label or '-'}  got {got or '-'}: {text[:110]}")
        for text, label, got in report.stance_errors:
            click.echo(f"  stance {label}  got {got}: {text[:110]}")
    _print_curve(points if show_curve else [], target_precision, target, report.recall)


def _print_curve(
    points: Sequence[CurvePoint], target_precision: float | None, target: CurvePoint | None,
    live_recall: float,
) -> None:  # fmt: skip
    if points:
        click.echo("curve:")
        click.echo(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'chatter FP':>14}")
        for p in points:
            click.echo(f"{p.threshold:>9.3f} {p.precision:>9.3f} {p.recall:>7.3f} "
                       f"{p.chatter_hits:>4}/{p.chatter:<4} {p.chatter_fp_rate:.3f}")  # fmt: skip
    if target_precision is None:
        return
    if target is None:
        click.echo(f"no threshold reaches precision {target_precision}")
        return
    click.echo(f"precision >= {target_precision}: threshold {target.threshold:.3f}, recall "
               f"{target.recall:.3f} (live {live_recall:.3f}), chatter false positives "
               f"{target.chatter_hits}/{target.chatter} ({target.chatter_fp_rate:.3f}); set it "
               "with NARRMON_MATCHER__THRESHOLD")  # fmt: skip


def rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


from pipeline.cli.evaluate_background import background  # noqa: E402 (registers on the group)
from pipeline.cli.evaluate_openset import openset  # noqa: E402

evaluate.add_command(openset)
evaluate.add_command(background)


def _reranker(
    matcher: NarrativeMatcher, evaluated: Path, weights: Path | None, *,
    train_queries: Path | None, train_qrels: Path | None, cache_dir: Path,
) -> Reranker:  # fmt: skip
    from models.matching.rerank import SHIPPED_CHECKTHAT, Reranker

    if train_queries is not None and train_qrels is not None:
        if train_queries.resolve() == evaluated.resolve():
            raise click.UsageError("refusing to fit the re-ranker on the queries being evaluated")
        from models.evaluation.rerank_train import ensure_reranker

        return ensure_reranker(cache_dir, matcher, train_queries, train_qrels)
    reranker = Reranker.load(weights or SHIPPED_CHECKTHAT)
    trained_with = reranker.meta.get("model_id")
    if trained_with and trained_with != matcher.model_id:
        click.echo(
            f"warning: re-ranker was fit with model {trained_with}, not {matcher.model_id}; "
            "pass --rerank-queries/--rerank-qrels",
            err=True,
        )
    return reranker


def live_matcher(catalog_path: Path) -> NarrativeMatcher:
    """The matcher the worker would build for `catalog_path` (settings: model, cache, device,
    NARRMON_MATCHER__*), with the inference threads set."""
    from models.matching.matcher import load_matcher
    from pipeline.agents.matcher import matcher_config
    from pipeline.settings import Settings

    settings = Settings.load()
    set_threads(settings.model.threads)
    return load_matcher(
        catalog_path, model_path=settings.model.path, cache_dir=settings.cache_dir,
        device=settings.model.device, config=matcher_config(settings),
    )  # fmt: skip


def set_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def _register_signal_commands() -> None:
    from pipeline.cli import signals_eval

    for command in (signals_eval.targeting, signals_eval.coordination, signals_eval.emerging):
        evaluate.add_command(command)


_register_signal_commands()
