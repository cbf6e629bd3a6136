"""Sentence embeddings with ONNX Runtime: an exported transformer plus numpy pooling.

Contracts:
- `OnnxEncoder(artifact_dir, threads)` loads what `models.matching.onnx_export.export` wrote
  (``model.onnx``, ``tokenizer.json``, ``spec.json``); it imports neither torch nor
  transformers, which is what keeps a worker's memory down. Raises `OSError` / `ValueError` for
  a missing or broken artifact.
- `encode_batch(texts)` tokenises one batch exactly as sentence-transformers does (its max length,
  not the raw tokenizer.json's; padding to the longest text in the batch), runs the graph once and
  pools like the model's Pooling module (`pool`), then L2-normalises when the model ends in
  Normalize. When the artifact's spec says `one_text_per_run` (dynamic int8: activation scales
  over the whole batch) each text is run on its own instead, so that its vector is the same
  whichever texts share its batch (the batch is tokenised in one call and each run gets exactly
  its text's unpadded inputs: bitwise the vector of the text encoded alone).
  `encode_texts(texts, batch_size)` returns bitwise what micro-batches of `batch_size` through
  `encode_batch` return, but queues every per-text run of the call at once, so the pool's
  threads never idle at a micro-batch boundary (`benchmarks/bench_step.py` measures both;
  figures in the README, "Throughput"). Blocking,
  CPU-bound; call it with small batches (16-64): ONNX Runtime's memory grows with batch x
  length. Thread-safe (an InferenceSession may be run from several threads).
- Threads: never more than `threads` compute at once, and ONNX Runtime does not spin between
  runs, so the encoder never holds more cores than it was given. A graph run one text at a time
  (`one_text_per_run`) with ``parallel_texts`` (the default) runs `threads` texts at once, each
  on one intra-op thread, from a pool of `threads` threads owned by the encoder (the calling
  thread only waits); otherwise one run at a time uses `threads` intra-op threads. Per-text runs
  are too small for intra-op threads to pay: ``benchmarks/bench_onnx_threads.py`` (1,000
  CheckThat! tweets, micro-batches of 16, 2-vCPU machine shared with other work, load average
  ~2.5) measured 185 texts/s one at a time with 2 intra-op threads, 215/s with 1, and 412/s two
  at a time with 1 each. The vectors were bitwise the same in every mode.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models.matching.batching import encode_each, encode_in_batches, length_batches
from models.matching.onnx_spec import EncoderSpec

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
SPEC_FILE = "spec.json"


def pool(hidden: Vectors, mask: npt.NDArray[np.int64], modes: Sequence[str]) -> Vectors:
    """Sentence vectors from token vectors ``(batch, tokens, dims)`` and the attention mask, one
    block per mode, concatenated in order (as sentence-transformers' Pooling does). Pure."""
    weights = mask[:, :, None].astype(np.float32)
    out: list[Vectors] = []
    for mode in modes:
        if mode == "cls":
            first = mask.argmax(axis=1)
            out.append(np.asarray(hidden[np.arange(len(hidden)), first], dtype=np.float32))
        elif mode == "max":
            out.append(np.where(weights > 0, hidden, -np.inf).max(axis=1))
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            counts = np.clip(weights.sum(axis=1), 1e-9, None)
            summed = (hidden * weights).sum(axis=1)
            out.append(summed / (counts if mode == "mean" else np.sqrt(counts)))
        else:
            raise ValueError(f"unsupported pooling mode {mode!r}")
    return np.concatenate(out, axis=1).astype(np.float32, copy=False)


def l2_normalise(rows: Vectors) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero, as torch's normalize leaves them). Pure."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


class OnnxEncoder:
    """One exported sentence-transformers model run by ONNX Runtime on the CPU."""

    def __init__(self, artifact_dir: Path, threads: int, *, parallel_texts: bool = True) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.artifact_dir = artifact_dir
        self.spec = EncoderSpec.from_json((artifact_dir / SPEC_FILE).read_text(encoding="utf-8"))
        if self.spec.max_seq_length is None:
            raise ValueError(f"{artifact_dir / SPEC_FILE}: field 'max_seq_length' missing")
        tokenizer = Tokenizer.from_file(str(artifact_dir / TOKENIZER_FILE))
        tokenizer.enable_truncation(max_length=self.spec.max_seq_length)
        tokenizer.enable_padding(pad_id=self.spec.pad_id)
        self._tokenizer = tokenizer
        threads = max(1, threads)
        # One text per run: `threads` runs at once, one intra-op thread each (module docstring).
        self.concurrent_texts = threads if self.spec.one_text_per_run and parallel_texts else 1
        self._pool = (
            ThreadPoolExecutor(self.concurrent_texts, thread_name_prefix="narrmon-onnx")
            if self.concurrent_texts > 1
            else None
        )
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1 if self.concurrent_texts > 1 else threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Spinning workers would keep the cores busy between batches, starving Faust and Kafka.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(artifact_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        self.dims = 0
        self.dims = int(self.encode_batch(["warm up"]).shape[1])  # also warms the session up
        logger.info(
            "ONNX encoder %s: %d threads (%d texts at once), max %d tokens, pooling %s",
            artifact_dir, threads, self.concurrent_texts, self.spec.max_seq_length,
            "+".join(self.spec.pooling),
        )  # fmt: skip

    def feeds(self, texts: Sequence[str]) -> dict[str, npt.NDArray[np.int64]]:
        """The graph's inputs for `texts` as one padded batch (tokenised as sentence-transformers
        does). Pure apart from the tokenizer."""
        if self.spec.do_lower_case:
            texts = [t.lower() for t in texts]
        encodings = self._tokenizer.encode_batch(list(texts))
        feeds = {
            "input_ids": np.asarray([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
        }
        if "token_type_ids" in self.spec.input_names:
            feeds["token_type_ids"] = np.asarray([e.type_ids for e in encodings], dtype=np.int64)
        return feeds

    def encode_batch(self, texts: Sequence[str]) -> Vectors:
        """Embeddings of `texts` as one padded batch, shape ``(len(texts), dims)``."""
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        if self.spec.one_text_per_run and len(texts) > 1:
            return encode_each(self._singles(texts), self._run, self._pool)
        return self._run(self.feeds(texts))

    def _singles(self, texts: Sequence[str]) -> list[dict[str, npt.NDArray[np.int64]]]:
        """Each text's own unpadded inputs, tokenised in one call (the Rust tokenizer, without
        the GIL): the same arrays as tokenising each text on its own."""
        batch = self.feeds(texts)
        lengths = batch["attention_mask"].sum(axis=1)
        return [
            {name: value[i : i + 1, : int(n)] for name, value in batch.items()}
            for i, n in enumerate(lengths)
        ]

    def encode_texts(self, texts: Sequence[str], batch_size: int) -> Vectors:
        """What ``encode_in_batches(texts, batch_size, self.encode_batch, dims)`` returns,
        bitwise. A graph run one text at a time on the pool gets every text's run queued at
        once (tokenised in length-sorted calls of `batch_size`, longest first), so its threads
        never wait for each other at the end of a micro-batch; otherwise exactly that call."""
        if self._pool is None or not self.spec.one_text_per_run or len(texts) <= 1:
            return encode_in_batches(texts, batch_size, self.encode_batch, self.dims)
        order: list[int] = []
        singles: list[dict[str, npt.NDArray[np.int64]]] = []
        for batch in length_batches(texts, batch_size):
            singles += self._singles([texts[i] for i in batch])
            order += batch
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        out[order] = encode_each(singles, self._run, self._pool)
        return out

    def _run(self, feeds: dict[str, npt.NDArray[np.int64]]) -> Vectors:
        hidden = self._session.run(None, feeds)[0]
        vectors = pool(
            np.asarray(hidden, dtype=np.float32), feeds["attention_mask"], self.spec.pooling
        )
        return l2_normalise(vectors) if self.spec.normalize else vectors

    def close(self) -> None:
        """Stop the encoder's thread pool (idle threads also end when the encoder is collected).
        `encode_batch` must not be called afterwards."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
