"""Quantisation recipes for the ONNX encoder: batch independence, fidelity to torch fp32, speed.

A script, not a test: run ``.venv/bin/python benchmarks/bench_encoder.py [--workdir DIR]
[--variants fp32,dynamic,...] [--reps 3]``. It exports the packaged model's fused fp32 graph once
(`models.matching.onnx_export.export_fp32`, into ``DIR/fp32``), builds each variant's graph next
to it, then prints one row per variant (and ``--json`` one object per line):

- ``batch_dev``: max over the demo posts and articles of ``1 - cosine`` between the text encoded
  alone and encoded in the length-sorted micro-batches of 16 the embedder uses;
- ``cos_min`` / ``cos_tiny``: the lowest cosine to sentence-transformers fp32 over the
  quality test's varied texts / over its one- or two-token texts
  (`tests/unit/models/matching/test_onnx_backend_slow.py`);
- ``posts_s_1t`` / ``posts_s_nt``: posts per second encoding the demo posts and articles in
  micro-batches of 16 with 1 thread / with as many threads as cores (for ``dynamic-single``:
  that many texts at once, one intra-op thread each, as the encoder does by default);
  best of ``--reps`` runs, so compare rows of one run only (the machine is shared).

Variants: ``fp32`` (fused graph, no quantisation); ``dynamic`` (what shipped before: dynamic int8,
per-channel weights, scales of each activation tensor computed over the whole batch);
``dynamic-single`` (what ships: the same graph, the encoder runs each text on its own because the
spec says `one_text_per_run`); ``nbits8``
/ ``nbits8-int8`` (weight-only int8 ``MatMulNBits``, blocks of 32, fp32 / int8 compute
(``accuracy_level`` 0 / 4; level 4 quantises each activation row on its own)); ``static``
(QDQ int8, MatMul only but the first feed-forward output, per-channel weights, symmetric
per-tensor activation scales calibrated once (MinMax, each text run alone) on in-repo texts:
catalog exemplars, tuning posts, demo posts; ORT's Percentile and Entropy calibrators need
equal-length inputs and refuse these).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from models.matching.batching import encode_in_batches
from models.matching.encoder_backends import available_cores
from models.matching.onnx_encoder import MODEL_FILE, SPEC_FILE, TOKENIZER_FILE, OnnxEncoder
from models.matching.onnx_spec import EncoderSpec

ROOT = Path(__file__).parents[1]
BATCH = 16


TEXTS: list[Path] = []  # --texts: measure on these instead of the demo posts and articles


def demo_texts() -> list[str]:
    if TEXTS:
        return [line.split("\t")[1] for p in TEXTS for line in p.open(encoding="utf-8")]
    posts = [json.loads(line)["text"] for line in (ROOT / "pipeline/demo_data/posts.jsonl").open()]
    articles = sorted((ROOT / "pipeline/demo_data/articles").glob("*.txt"))
    return posts + [a.read_text(encoding="utf-8") for a in articles]


def calibration_texts() -> list[str]:
    import yaml

    catalog = yaml.safe_load((ROOT / "models/catalogs/election-2024.yaml").read_text())
    texts = [
        t for n in catalog["narratives"] for t in n["exemplars"] + n.get("counter_exemplars", [])
    ]
    tuning = ROOT / "models/evalsets/election-2024-tuning.jsonl"
    texts += [json.loads(line)["text"] for line in tuning.open()]
    return texts + demo_texts()


def quality_texts() -> tuple[list[str], list[str]]:
    import importlib

    module = importlib.import_module("tests.unit.models.matching.test_onnx_backend_slow")
    return list(module.VARIED), list(module.NEAR_EMPTY)


def build_dynamic(fp32: Path, out: Path) -> None:
    from models.matching.onnx_export import quantise_dynamic

    quantise_dynamic(fp32, out)


def build_nbits(accuracy_level: int) -> Callable[[Path, Path], None]:
    def build(fp32: Path, out: Path) -> None:
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        quantizer = MatMulNBitsQuantizer(
            onnx.load(str(fp32)), bits=8, block_size=32, is_symmetric=True,
            accuracy_level=accuracy_level,
        )  # fmt: skip
        quantizer.process()
        quantizer.model.save_model_to_file(str(out), use_external_data_format=False)

    return build


def build_static(method: str) -> Callable[[Path, Path], None]:
    return lambda fp32, out: static(fp32, out, method)


def static(fp32: Path, out: Path, method: str) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from models.matching.onnx_export import first_down_projection

    encoder = OnnxEncoder(fp32.parent, threads=available_cores())
    texts = calibration_texts()
    inferred = out.with_name("inferred.onnx")  # typed tensors, else most MatMuls are skipped
    quant_pre_process(str(fp32), str(inferred), skip_optimization=True, skip_onnx_shape=True)

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.feeds: Iterator[dict[str, Any]] = (encoder.feeds([t]) for t in texts)

        def get_next(self) -> dict[str, Any] | None:
            return next(self.feeds, None)

    quantize_static(
        str(inferred), str(out), Reader(), quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["MatMul"], per_channel=True, activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod[method], nodes_to_exclude=first_down_projection(fp32),
        extra_options={"ActivationSymmetric": True, "DefaultTensorType": 1},
    )  # fmt: skip


BUILDERS: dict[str, Callable[[Path, Path], None] | None] = {
    "fp32": None,
    "dynamic": build_dynamic,
    "dynamic-single": build_dynamic,
    "nbits8": build_nbits(0),
    "nbits8-int8": build_nbits(4),
    "static": build_static("MinMax"),
}


def variant_dir(workdir: Path, name: str) -> Path:
    folder = workdir / name
    if (folder / MODEL_FILE).exists():
        return folder
    fp32 = workdir / "fp32"
    builder = BUILDERS[name.removesuffix("-single") if name == "dynamic-single" else name]
    assert builder is not None
    folder.mkdir(parents=True, exist_ok=True)
    for item in (TOKENIZER_FILE, SPEC_FILE):
        shutil.copyfile(fp32 / item, folder / item)
    started = time.perf_counter()
    builder(fp32 / MODEL_FILE, folder / MODEL_FILE)
    if name == "dynamic-single":  # what ships: the encoder runs each text on its own
        spec = EncoderSpec.from_json((folder / SPEC_FILE).read_text(encoding="utf-8"))
        (folder / SPEC_FILE).write_text(replace(spec, one_text_per_run=True).to_json())
    print(f"built {name} in {time.perf_counter() - started:.0f}s", flush=True)
    return folder


def encode(encoder: OnnxEncoder, texts: Sequence[str], batch: int) -> np.ndarray:
    return encode_in_batches(texts, batch, encoder.encode_batch, encoder.dims)


def speed(encoder: OnnxEncoder, texts: list[str], batch: int, reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        started = time.perf_counter()
        encode(encoder, texts, batch)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def measure(name: str, folder: Path, reference: np.ndarray, reps: int) -> dict[str, Any]:
    texts = demo_texts()
    varied, tiny = quality_texts()
    batch = BATCH
    one = OnnxEncoder(folder, threads=1)
    alone = encode(one, texts, 1)
    together = encode(one, texts, batch)
    quality = encode(one, varied + tiny, batch)
    cosines = np.sum(quality * reference, axis=1)
    row: dict[str, Any] = {
        "variant": name,
        "batch_dev": float(np.max(1.0 - np.sum(alone * together, axis=1))),
        "cos_min": float(cosines[: len(varied)].min()),
        "cos_tiny": float(cosines[len(varied) :].min()),
        "posts_s_1t": speed(one, texts, batch, reps),
    }
    many = OnnxEncoder(folder, threads=available_cores())
    row["posts_s_nt"] = speed(many, texts, batch, reps)
    row["mb"] = (folder / MODEL_FILE).stat().st_size / 1e6
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/narrmon-bench-encoder"))
    parser.add_argument("--variants", default=",".join(BUILDERS))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--texts", type=Path, help="a TSV of id<TAB>text (e.g. CheckThat! queries)")
    args = parser.parse_args()
    if args.texts:
        TEXTS.append(args.texts)
    from models.matching.embedder import Embedder, packaged_model_path
    from models.matching.onnx_export import export_fp32

    if not (args.workdir / "fp32" / MODEL_FILE).exists():
        export_fp32(Path(packaged_model_path()), args.workdir / "fp32")
    varied, tiny = quality_texts()
    reference = Embedder(backend="torch", memo_size=0).encode_uncached(varied + tiny)
    print(f"{'variant':16} {'batch_dev':>10} {'cos_min':>8} {'cos_tiny':>8} "
          f"{'posts/s 1t':>10} {f'posts/s {available_cores()}t':>10} {'MB':>6}")  # fmt: skip
    for name in args.variants.split(","):
        folder = args.workdir / "fp32" if name == "fp32" else variant_dir(args.workdir, name)
        row = measure(name, folder, reference, args.reps)
        if args.json:
            print(json.dumps(row), flush=True)
        print(f"{name:16} {row['batch_dev']:10.2e} {row['cos_min']:8.4f} {row['cos_tiny']:8.4f} "
              f"{row['posts_s_1t']:10.1f} {row['posts_s_nt']:10.1f} {row['mb']:6.1f}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
