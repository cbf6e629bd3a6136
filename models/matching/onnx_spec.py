"""What a sentence-transformers model folder does after its transformer, read from its files.

`read_spec(folder)` reads ``modules.json`` (the module pipeline), the Transformer module's
``sentence_bert_config.json`` (max length, lower-casing) and the Pooling module's
``config.json``. Only the pipelines the ONNX encoder reproduces exactly are accepted:
Transformer -> Pooling (cls / max / mean / mean_sqrt_len_tokens, one or several, concatenated in
that order, as sentence-transformers does) -> optional Normalize. Anything else (a Dense layer, a
Router, weighted-mean or last-token pooling, prompts) raises `UnsupportedModelError` naming the file
and field, and the caller keeps the torch backend. Pure: reads JSON, imports no model code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SUPPORTED_POOLING = ("cls", "max", "mean", "mean_sqrt_len_tokens")
# Legacy boolean keys, in the order sentence-transformers concatenates the modes.
_LEGACY_POOLING = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}


# Names how `models.matching.onnx_export` builds and runs the artifact. Change it when the export or
# the way texts are run changes: old artifacts are then rebuilt and, since the embedder's on-disk
# cache key includes it, old vectors re-embedded.
RECIPE = "int8-bert-opt-v3-alone"


class UnsupportedModelError(ValueError):
    """The folder's module pipeline is not one the ONNX encoder reproduces."""


@dataclass(frozen=True)
class EncoderSpec:
    """Everything the runtime encoder needs besides the ONNX graph and the tokenizer."""

    transformer_path: str
    max_seq_length: int | None  # None: not in the folder's config (the exporter fills it in)
    do_lower_case: bool
    pooling: tuple[str, ...]
    normalize: bool
    input_names: tuple[str, ...] = ("input_ids", "attention_mask")
    pad_id: int = 0
    # The graph computes activation scales over the whole batch (dynamic int8 quantisation), so a
    # text's vector would depend on its batch-mates: the encoder then runs each text on its own.
    one_text_per_run: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EncoderSpec:
        data = json.loads(text)
        data["pooling"] = tuple(data["pooling"])
        data["input_names"] = tuple(data["input_names"])
        return cls(**data)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnsupportedModelError(f"{path}: missing") from None
    except json.JSONDecodeError as exc:
        raise UnsupportedModelError(f"{path}: line {exc.lineno}: {exc.msg}") from exc


def _kind(entry: dict[str, Any], where: str) -> str:
    kind = entry.get("type")
    if not isinstance(kind, str):
        raise UnsupportedModelError(f"{where}: field 'type' missing")
    return kind.rsplit(".", 1)[-1]


def pooling_modes(config: dict[str, Any], where: str) -> tuple[str, ...]:
    """The pooling modes of a Pooling config, new (``pooling_mode``) or legacy (booleans) form."""
    if config.get("include_prompt") is False:
        raise UnsupportedModelError(f"{where}: field 'include_prompt' false is not supported")
    mode = config.get("pooling_mode")
    if mode is None:
        modes = tuple(name for key, name in _LEGACY_POOLING.items() if config.get(key))
        modes = modes or ("mean",)
    elif isinstance(mode, str):
        modes = (mode,)
    else:
        modes = tuple(str(m) for m in mode)
    for name in modes:
        if name not in SUPPORTED_POOLING:
            raise UnsupportedModelError(f"{where}: field 'pooling_mode': {name!r} is not supported")
    return modes


def read_spec(folder: Path) -> EncoderSpec:
    """The spec of the sentence-transformers model in `folder`. Raises `UnsupportedModelError`."""
    modules_file = folder / "modules.json"
    modules = _read_json(modules_file)
    if not isinstance(modules, list) or not modules:
        raise UnsupportedModelError(f"{modules_file}: expected a non-empty list of modules")
    kinds = [_kind(entry, f"{modules_file}: module {i}") for i, entry in enumerate(modules)]
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
        raise UnsupportedModelError(
            f"{modules_file}: field 'type': pipeline {' -> '.join(kinds)} is not "
            "Transformer -> Pooling [-> Normalize]"
        )
    transformer_path = str(modules[0].get("path", ""))
    st_config_file = folder / transformer_path / "sentence_bert_config.json"
    st_config = _read_json(st_config_file) if st_config_file.exists() else {}
    max_len = st_config.get("max_seq_length")
    pooling_file = folder / str(modules[1].get("path", "")) / "config.json"
    return EncoderSpec(
        transformer_path=transformer_path,
        max_seq_length=int(max_len) if max_len is not None else None,
        do_lower_case=bool(st_config.get("do_lower_case", False)),
        pooling=pooling_modes(_read_json(pooling_file), str(pooling_file)),
        normalize=len(kinds) == 3,
    )
