"""`narrmon eval`: matching quality on labelled data (CheckThat! 2022 task 2A formats)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from models.rerank import Reranker
    from models.service import NarrativeMatcher


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
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Queries TSV: id<TAB>text.",
)
@click.option(
    "--qrels",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Qrels TSV: qid 0 vclaim_id 1.",
)
@click.option(
    "--fusion",
    type=click.Choice(["rerank", "linear", "dense", "lexical", "rrf"]),
    default="rerank",
    show_default=True,
    help="How to rank candidates (rerank: logistic re-ranker over the top linear candidates).",
)
@click.option(
    "--reranker",
    "reranker_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Re-ranker weights JSON (default: the shipped one, fit on CheckThat! 2022 2A train).",
)
@click.option(
    "--rerank-queries",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="TRAIN queries: fit the re-ranker on them for this model and catalog (cached).",
)
@click.option(
    "--rerank-qrels",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
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
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="TRAIN queries: fine-tune the model on them first (cached).",
)
@click.option(
    "--finetune-qrels",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
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
    default fusion re-ranks with the shipped weights (`models.rerank_train` builds them from
    TRAIN); --rerank-queries/--rerank-qrels fit new ones for this model and catalog instead.
    """
    import dataclasses

    from models.claims_eval import run_claims_eval
    from models.evaluation import read_qrels, read_queries
    from models.service import MatcherConfig, load_matcher
    from pipeline.settings import Settings

    settings = Settings.load()
    _set_threads(settings.model.threads)
    model_path = model_path or settings.model.path
    if (finetune_queries is None) != (finetune_qrels is None):
        raise click.UsageError("--finetune-queries and --finetune-qrels go together")
    if finetune_queries is not None and finetune_qrels is not None:
        if finetune_queries.resolve() == queries.resolve():
            raise click.UsageError("refusing to fine-tune on the queries being evaluated")
        from models.finetune import claim_pairs, ensure_finetuned

        pairs = claim_pairs(catalog_path, finetune_queries, finetune_qrels)
        model_path = str(ensure_finetuned(settings.cache_dir, pairs, model_path))
    config = MatcherConfig()
    if lexical_weight is not None:
        config = dataclasses.replace(config, lexical_weight=lexical_weight)
    matcher = load_matcher(
        catalog_path,
        model_path=model_path,
        cache_dir=settings.cache_dir,
        device=settings.model.device,
        config=config,
    )
    if (rerank_queries is None) != (rerank_qrels is None):
        raise click.UsageError("--rerank-queries and --rerank-qrels go together")
    if fusion == "rerank":
        matcher = matcher.with_reranker(
            _reranker(matcher, queries, reranker_path, train_queries=rerank_queries,
                      train_qrels=rerank_qrels, cache_dir=settings.cache_dir)
        )  # fmt: skip
    report = run_claims_eval(matcher, read_queries(queries), read_qrels(qrels), fusion)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                               for k, v in report.as_json().items()}))  # fmt: skip
        return
    click.echo(f"model {matcher.model_id}  catalog {matcher.catalog_version}  fusion {fusion}  "
               f"queries {report.queries}")  # fmt: skip
    for key, value in report.metrics.items():
        click.echo(f"{key:>10}  {value:.4f}")
    click.echo(f"{'ms/query':>10}  {report.ms_per_query:.1f}")


def _reranker(
    matcher: NarrativeMatcher, evaluated: Path, weights: Path | None, *,
    train_queries: Path | None, train_qrels: Path | None, cache_dir: Path,
) -> Reranker:  # fmt: skip
    from models.rerank import SHIPPED_CHECKTHAT, Reranker

    if train_queries is not None and train_qrels is not None:
        if train_queries.resolve() == evaluated.resolve():
            raise click.UsageError("refusing to fit the re-ranker on the queries being evaluated")
        from models.rerank_train import ensure_reranker

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


def _set_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)
