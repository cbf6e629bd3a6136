"""Export a sentence-transformers model folder to an int8 ONNX artifact the `OnnxEncoder` runs.

Contracts:
- `export(folder, out_dir)` (blocking, ~30 s and ~1 GB for MiniLM on 2 cores; imports torch):
  `torch.onnx.export` of the folder's transformer (token vectors out; pooling stays in numpy),
  ONNX Runtime's transformer optimizer (``model_type="bert"``: fused attention / layer norm /
  GELU) when it accepts the graph, else the plain graph, then
  `onnxruntime.quantization.quantize_dynamic` (int8 weights, per channel: per-tensor scales
  lose too much on this family, cosine down to 0.86 on MiniLM; the first feed-forward output
  stays fp32, `first_down_projection`). Dynamic quantisation scales each activation tensor over
  the whole run, so the spec marks the artifact `one_text_per_run`: the encoder runs each text
  alone and a vector never depends on its batch-mates (as fast as micro-batches of 16 on posts,
  see models/README.md). Writes ``model.onnx``,
  ``tokenizer.json`` and ``spec.json`` (`models.matching.onnx_spec`, with the max length
  sentence-transformers itself uses). Then it checks itself: the artifact's vectors must have
  cosine >= `MIN_COSINE` to sentence-transformers' own on `PROBE_TEXTS`, else `ExportError`.
- `ensure_artifact(folder, cache_dir)` returns the cached artifact for those weights, exporting
  first (in a child process, so the caller never loads torch) when there is none. The cache key
  (`artifact_key`) covers the folder, its weights' size and mtime, the recipe version and the
  ONNX Runtime version. Concurrent callers are safe: each exports to a private folder and renames
  it into place. Raises `ExportError` (the caller falls back to torch) or `UnsupportedModelError`.
- ``python -m models.matching.onnx_export FOLDER OUT_DIR`` is that child process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from models.matching.onnx_encoder import MODEL_FILE, SPEC_FILE, TOKENIZER_FILE, OnnxEncoder
from models.matching.onnx_spec import RECIPE, EncoderSpec, UnsupportedModelError, read_spec

logger = logging.getLogger(__name__)

MIN_COSINE = 0.98
OPSET = 17
EXPORT_TIMEOUT_S = 900.0
PROBE_TEXTS = (
    "Breaking: officials confirm the bridge will close for repairs next week.",
    "lol no way that's real 😂😂",
    "Les bureaux de vote ferment à 20 heures dimanche.",
    "Ein kurzer Satz.",
    "Vaccines do not contain microchips, according to every regulator that examined them. " * 12,
    "wait what?? who else saw this 😂",
)


class ExportError(RuntimeError):
    """The model could not be exported, or the export does not reproduce the model."""


def weights_file(folder: Path) -> Path | None:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).exists():
            return folder / name
    return None


def artifact_key(folder: Path) -> str:
    """Identifies an artifact: folder, weights size + mtime, recipe and ONNX Runtime version."""
    import onnxruntime

    ident = f"{folder.resolve()}|{RECIPE}|ort {onnxruntime.__version__}"
    spec = read_spec(folder)
    weights = weights_file(folder / spec.transformer_path)
    if weights is not None:
        stat = weights.stat()
        ident += f"|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha1(ident.encode()).hexdigest()[:16]


def ensure_artifact(folder: Path, cache_dir: Path) -> Path:
    """The artifact folder for `folder` under ``cache_dir/onnx``, exported first if missing."""
    target = cache_dir / "onnx" / artifact_key(folder)
    if (target / SPEC_FILE).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}"
    logger.info("exporting %s to ONNX int8 (once per model; cached in %s)", folder, target)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "models.matching.onnx_export", str(folder), str(work)],
            capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S, check=False,
            env={**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")},
        )  # fmt: skip
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ExportError(f"export of {folder} failed: {' | '.join(tail)}")
        try:
            work.rename(target)
        except OSError:  # another process put its artifact there first: use that one
            if not (target / SPEC_FILE).exists():
                raise
    except subprocess.TimeoutExpired as exc:
        raise ExportError(f"export of {folder} took over {EXPORT_TIMEOUT_S:.0f}s") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def export(folder: Path, out_dir: Path) -> None:
    """Write the int8 artifact for `folder` into `out_dir` (see module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32"
        model = export_fp32(folder, fp32)
        out_dir.mkdir(parents=True, exist_ok=True)
        quantise_dynamic(fp32 / MODEL_FILE, out_dir / MODEL_FILE)
        shutil.copyfile(fp32 / TOKENIZER_FILE, out_dir / TOKENIZER_FILE)
        spec = EncoderSpec.from_json((fp32 / SPEC_FILE).read_text(encoding="utf-8"))
        spec = replace(spec, one_text_per_run=True)  # dynamic scales: see quantise_dynamic
        (out_dir / SPEC_FILE).write_text(spec.to_json(), encoding="utf-8")
    _check(model, out_dir)


def export_fp32(folder: Path, out_dir: Path) -> Any:
    """Write the fused fp32 artifact (graph, tokenizer, spec) for `folder` into `out_dir` and
    return the loaded sentence-transformers model (the reference `_check` compares against)."""
    import inspect

    import torch
    from sentence_transformers import SentenceTransformer

    spec = read_spec(folder)
    model = SentenceTransformer(str(folder), device="cpu")
    transformer = model[0]
    hf_model = transformer.auto_model.eval()
    if hasattr(hf_model, "set_attn_implementation"):  # ORT's fusions match the eager pattern
        hf_model.set_attn_implementation("eager")
    tokenizer = transformer.tokenizer
    accepted = inspect.signature(hf_model.forward).parameters
    names = [n for n in tokenizer.model_input_names if n in accepted]
    if names[:1] != ["input_ids"] or "attention_mask" not in names:
        raise UnsupportedModelError(f"{folder}: tokenizer inputs {names}: no ids or mask")

    class TokenVectors(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.inner = hf_model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, inputs, strict=True)))[0]

    sample = tokenizer(["a short sample", "another, longer sample sentence"], padding=True,
                       return_tensors="pt")  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        axes = {n: {0: "batch", 1: "tokens"} for n in names}
        with torch.no_grad():
            torch.onnx.export(
                TokenVectors(), tuple(sample[n] for n in names), str(raw), dynamo=False,
                input_names=names, output_names=["token_vectors"], opset_version=OPSET,
                dynamic_axes={**axes, "token_vectors": {0: "batch", 1: "tokens"}},
            )  # fmt: skip
        config = hf_model.config
        heads, hidden = getattr(config, "num_attention_heads", 0), getattr(config, "hidden_size", 0)
        graph = _optimised(raw, Path(tmp) / "optimised.onnx", heads, hidden)
        shutil.copyfile(graph, out_dir / MODEL_FILE)
    tokenizer.backend_tokenizer.save(str(out_dir / TOKENIZER_FILE))
    spec = replace(
        spec, max_seq_length=int(model.max_seq_length), input_names=tuple(names),
        pad_id=int(tokenizer.pad_token_id or 0),
    )  # fmt: skip
    (out_dir / SPEC_FILE).write_text(spec.to_json(), encoding="utf-8")
    return model


def quantise_dynamic(graph: Path, out: Path) -> None:
    """The shipped quantisation of the fused fp32 `graph` (see module docstring). Its activation
    scales are computed per run over the whole input tensor, so the artifact's spec says
    `one_text_per_run`: batched, a text's vector moved by up to 0.014 in cosine with its
    batch-mates (measured with ``benchmarks/bench_encoder.py``)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(graph), str(out), weight_type=QuantType.QInt8, per_channel=True,
        nodes_to_exclude=first_down_projection(graph),
        extra_options={"DefaultTensorType": 1},  # float32, for the fused ops' outputs
    )  # fmt: skip


def _optimised(raw: Path, out: Path, heads: int, hidden: int) -> Path:
    """ORT's offline BERT fusions, or the raw graph when the optimizer cannot handle it."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        optimizer = optimize_model(str(raw), model_type="bert", num_heads=heads, hidden_size=hidden)
        optimizer.save_model_to_file(str(out))
        fused = optimizer.get_fused_operator_statistics()
        logger.info("ONNX Runtime fusions: %s", {k: v for k, v in fused.items() if v})
        return out
    except Exception as exc:  # the optimizer is best effort; the plain graph still runs
        logger.warning("ONNX Runtime transformer optimizer failed (%s); using the plain graph", exc)
        return raw


def first_down_projection(graph: Path) -> list[str]:
    """The first feed-forward output MatMul (weights wider in than out, e.g. 1536 -> 384): kept
    fp32 because its input carries the outlier activations that per-tensor int8 ranges handle
    worst. On MiniLM this one node lifts the worst cosine to fp32 from 0.974 to 0.984 on short
    emoji posts for ~3% of the speed (benchmarked with every layer's, which cost 25%)."""
    import onnx

    model = onnx.load(str(graph), load_external_data=False)
    shapes = {init.name: tuple(init.dims) for init in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "MatMul" and len(node.input) == 2:
            shape = shapes.get(node.input[1], ())
            if len(shape) == 2 and shape[0] > shape[1]:
                return [node.name]
    return []


def _check(model: object, out_dir: Path) -> None:
    expected = model.encode(list(PROBE_TEXTS), normalize_embeddings=True)  # type: ignore[attr-defined]
    got = OnnxEncoder(out_dir, threads=1).encode_batch(PROBE_TEXTS)
    expected = expected / np.linalg.norm(expected, axis=1, keepdims=True)
    got = got / np.linalg.norm(got, axis=1, keepdims=True)
    worst = float(np.min(np.sum(expected * got, axis=1)))
    if worst < MIN_COSINE:
        raise ExportError(f"ONNX int8 vectors differ from the model's: min cosine {worst:.4f}")
    logger.info("ONNX int8 export checked: min cosine to sentence-transformers %.4f", worst)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if len(argv) != 2:
        print("usage: python -m models.matching.onnx_export MODEL_FOLDER OUT_DIR", file=sys.stderr)
        return 2
    try:
        export(Path(argv[0]), Path(argv[1]))
    except (ExportError, UnsupportedModelError) as exc:
        print(f"narrmon: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
