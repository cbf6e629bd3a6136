"""`narrmon model`: embedding model utilities (ONNX export, fine-tuning on a training split)."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.params import EXISTING_FILE


@click.group()
def model() -> None:
    """Embedding model utilities."""


@model.command()
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    help="Catalog whose first exemplar per narrative is the target.",
)
@click.option(
    "--queries", type=EXISTING_FILE, required=True, help="TRAIN queries TSV (id<TAB>text)."
)
@click.option(
    "--qrels", type=EXISTING_FILE, required=True, help="TRAIN qrels TSV (qid 0 claim_id 1)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model folder to write (default: a cache folder keyed by the data).",
)
def finetune(catalog_path: Path, queries: Path, qrels: Path, output: Path | None) -> None:
    """Fine-tune the embedding model (MNRL, seeded, CPU, a few minutes) on a TRAIN split.

    Point NARRMON_MODEL__PATH at the printed folder to use it in the pipeline.
    """
    import logging

    from models.evaluation.finetune import claim_pairs, ensure_finetuned
    from models.evaluation.finetune import finetune as train
    from pipeline.settings import Settings

    logging.getLogger("models").setLevel(logging.INFO)
    settings = Settings.load()
    if settings.model.threads:
        import torch

        torch.set_num_threads(settings.model.threads)
    pairs = claim_pairs(catalog_path, queries, qrels)
    if not pairs:
        raise click.ClickException("no (query, claim) pairs: do the qrels ids match the catalog?")
    if output is None:
        path = ensure_finetuned(settings.cache_dir, pairs, settings.model.path)
    else:
        path = train(pairs, output, settings.model.path, epochs=1, batch_size=32, seed=13)
    click.echo(str(path))


@model.command("export")
def export_model() -> None:
    """Export the configured model to ONNX int8 for the onnx-int8 backend (cached; a no-op when
    the export for these weights exists). Prints the artifact folder.

    The worker does this itself on first use; running it at set-up keeps that out of start-up.
    """
    import logging
    from pathlib import Path

    from models.matching.embedder import packaged_model_path
    from models.matching.onnx_export import ExportError, ensure_artifact
    from models.matching.onnx_spec import UnsupportedModelError
    from pipeline.settings import Settings

    logging.getLogger("models").setLevel(logging.INFO)
    settings = Settings.load()
    folder = Path(settings.model.path or packaged_model_path())
    try:
        path = ensure_artifact(folder, settings.cache_dir)
    except (ExportError, UnsupportedModelError) as exc:
        raise click.ClickException(f"{exc} (the torch backend still works)") from exc
    click.echo(str(path))
