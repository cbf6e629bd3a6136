"""The embedding model as the settings configure it, for every process that embeds posts.

The worker, `narrmon eval` and the analyst API's similarity search must embed with the same
backend (vectors of different backends differ slightly), so they all build their `Embedder` here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.settings import Settings

if TYPE_CHECKING:
    from models.matching.embedder import Embedder


def embedder_from_settings(settings: Settings, model_path: str | None = None) -> Embedder:
    """An `Embedder` for ``settings.model`` (cheap; the model loads on `warm_up`). `model_path`
    overrides ``settings.model.path`` (a fine-tuned folder, `narrmon eval claims --model`)."""
    from models.matching.embedder import Embedder

    model = settings.model
    return Embedder(
        model_path or model.path,
        device=model.device,
        batch_size=model.batch_size,
        cache_dir=settings.cache_dir,
        backend=model.backend,
        threads=model.threads,
        memo_size=model.memo_size,
    )
