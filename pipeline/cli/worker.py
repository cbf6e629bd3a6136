"""`narrmon worker`: run one Faust worker (embed, match, index). Heavy imports happen inside."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, path_type=Path),
    help="Narrative catalog (YAML file or folder). Default: NARRMON_CATALOG__PATH.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, path_type=Path),
    help="Embedding model directory. Default: the packaged all-MiniLM-L6-v2.",
)
@click.option(
    "--register-with",
    "register_with",
    type=click.Path(file_okay=False, path_type=Path),
    help=(
        "Prometheus file_sd directory: register this worker's /metrics there while it runs "
        "(the local stack's is <state_dir>/prometheus/targets). Default: do not register."
    ),
)
def worker(catalog_path: Path | None, model_path: Path | None, register_with: Path | None) -> None:
    """Run a Faust worker: consume posts, embed and match them, index hits.

    Stops gracefully on SIGTERM/SIGINT (in-flight batches finish and are committed)."""
    from pipeline.file_sd import scrape_target_hook
    from pipeline.settings import Settings
    from pipeline.worker import run_worker

    settings = Settings.load()
    updates: dict[str, object] = {}
    if catalog_path is not None:
        updates["catalog"] = settings.catalog.model_copy(update={"path": catalog_path})
    if model_path is not None:
        updates["model"] = settings.model.model_copy(update={"path": str(model_path)})
    if updates:
        settings = settings.model_copy(update=updates)
    if settings.catalog.path is None:
        raise click.UsageError("no catalog: pass --catalog or set NARRMON_CATALOG__PATH")
    hook = None
    if register_with is not None:
        hook = scrape_target_hook(register_with, "narrmon-worker", settings.worker.app_id)
    run_worker(settings, scrape_hook=hook)
