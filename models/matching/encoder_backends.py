"""The encoders behind `models.matching.embedder.Embedder`: ONNX Runtime int8 (default on CPU)
or torch.

Contracts:
- `load_encoder(backend, folder, device, cache_dir, threads)` returns a `BatchEncoder` and the
  backend actually loaded. ``"onnx-int8"`` needs the CPU and a cache folder for the exported
  artifact (`models.matching.onnx_export.ensure_artifact`, exported on first use); when the export
  fails or the model is not one the ONNX encoder reproduces, it logs one warning and returns the
  torch encoder instead. Blocking (model load, possibly a ~30 s export).
- A `BatchEncoder` embeds one batch (`encode_batch`), normalised as the model defines; batching
  is the caller's (`models.matching.batching`).
- Threads: ONNX Runtime gets ``min(threads or cores, cores)`` intra-op threads; torch's count is
  set the same way only when `threads` is given (torch already defaults to the core count).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

BACKENDS = ("onnx-int8", "torch")
Vectors = npt.NDArray[np.float32]


class BatchEncoder(Protocol):
    dims: int

    def encode_batch(self, texts: Sequence[str]) -> Vectors: ...


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def thread_count(threads: int | None) -> int:
    """Threads for inference: the setting if given, never more than the cores we may run on."""
    cores = available_cores()
    return max(1, min(threads or cores, cores))


class TorchEncoder:
    """sentence-transformers on torch (fp32)."""

    def __init__(self, folder: str, device: str, threads: int | None) -> None:
        from sentence_transformers import SentenceTransformer

        if threads:
            import torch

            torch.set_num_threads(thread_count(threads))
        self.model: Any = SentenceTransformer(folder, device=device)
        getter = getattr(self.model, "get_embedding_dimension", None)
        if getter is None:  # sentence-transformers < 5
            getter = self.model.get_sentence_embedding_dimension
        self.dims = int(getter())

    def encode_batch(self, texts: Sequence[str]) -> Vectors:
        vectors = self.model.encode(
            list(texts), batch_size=max(1, len(texts)), normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )  # fmt: skip
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_encoder(
    backend: str, folder: str, device: str, cache_dir: Path | None, threads: int | None
) -> tuple[BatchEncoder, str]:
    """The encoder for `backend` (see module docstring) and the backend actually used."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; expected one of {BACKENDS}")
    if backend == "onnx-int8":
        reason = _onnx_unavailable(device, cache_dir)
        if reason is None:
            assert cache_dir is not None
            try:
                from models.matching.onnx_encoder import OnnxEncoder
                from models.matching.onnx_export import ensure_artifact

                artifact = ensure_artifact(Path(folder), cache_dir)
                return OnnxEncoder(artifact, thread_count(threads)), backend
            except Exception as exc:  # any failure here must leave a working (torch) model
                reason = f"{type(exc).__name__}: {exc}"
        logger.warning("ONNX int8 backend unavailable for %s (%s); using torch", folder, reason)
    logger.info("loading embedding model from %s (torch, %s)", folder, device)
    return TorchEncoder(folder, device, threads), "torch"


def _onnx_unavailable(device: str, cache_dir: Path | None) -> str | None:
    if device != "cpu":
        return f"device {device}: the ONNX int8 backend runs on the CPU only"
    if cache_dir is None:
        return "no cache folder to keep the exported model in"
    return None
