"""Reading a sentence-transformers folder's module pipeline (pure: JSON files only), and the
numpy pooling that reproduces its Pooling module."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.matching.embedder import packaged_model_path
from models.matching.onnx_encoder import l2_normalise, pool
from models.matching.onnx_spec import EncoderSpec, UnsupportedModelError, read_spec

TRANSFORMER = {
    "idx": 0,
    "name": "0",
    "path": "",
    "type": "sentence_transformers.models.Transformer",
}
POOLING = {
    "idx": 1,
    "name": "1",
    "path": "1_Pooling",
    "type": "sentence_transformers.models.Pooling",
}
NORMALIZE = {
    "idx": 2,
    "name": "2",
    "path": "2_Normalize",
    "type": "sentence_transformers.models.Normalize",
}


def _folder(tmp_path: Path, modules: list[dict[str, object]], pooling: dict[str, object],
            st_config: dict[str, object] | None = None) -> Path:  # fmt: skip
    (tmp_path / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    (tmp_path / "1_Pooling").mkdir(exist_ok=True)
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling), encoding="utf-8")
    if st_config is not None:
        (tmp_path / "sentence_bert_config.json").write_text(json.dumps(st_config), "utf-8")
    return tmp_path


def test_packaged_model_is_mean_pooled_normalised_with_max_length_256() -> None:
    spec = read_spec(Path(packaged_model_path()))
    assert spec.pooling == ("mean",)
    assert spec.normalize is True
    assert spec.max_seq_length == 256
    assert spec.transformer_path == ""
    assert EncoderSpec.from_json(spec.to_json()) == spec


def test_legacy_booleans_keep_sentence_transformers_order(tmp_path: Path) -> None:
    pooling = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": True}
    spec = read_spec(_folder(tmp_path, [TRANSFORMER, POOLING], pooling, {"do_lower_case": True}))
    assert spec.pooling == ("cls", "mean")
    assert spec.normalize is False
    assert spec.do_lower_case is True
    assert spec.max_seq_length is None


def test_new_pooling_mode_key(tmp_path: Path) -> None:
    spec = read_spec(_folder(tmp_path, [TRANSFORMER, POOLING, NORMALIZE], {"pooling_mode": "max"}))
    assert spec.pooling == ("max",)
    assert spec.normalize is True


@pytest.mark.parametrize(
    ("modules", "pooling", "field"),
    [
        ([TRANSFORMER, POOLING, {"type": "sentence_transformers.models.Dense", "path": "2"}],
         {"pooling_mode": "mean"}, "'type'"),
        ([TRANSFORMER, POOLING], {"pooling_mode": "weightedmean"}, "'pooling_mode'"),
        ([TRANSFORMER, POOLING], {"pooling_mode": "mean", "include_prompt": False},
         "'include_prompt'"),
        ([TRANSFORMER], {"pooling_mode": "mean"}, "'type'"),
    ],
)  # fmt: skip
def test_unsupported_pipelines_name_the_file_and_field(
    tmp_path: Path, modules: list[dict[str, object]], pooling: dict[str, object], field: str
) -> None:
    with pytest.raises(UnsupportedModelError, match=field) as info:
        read_spec(_folder(tmp_path, modules, pooling))
    assert str(tmp_path) in str(info.value)


def test_missing_modules_file(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedModelError, match=r"modules\.json: missing"):
        read_spec(tmp_path)


def test_pooling_ignores_padding() -> None:
    hidden = np.array(
        [[[1.0, 2.0], [3.0, -4.0], [100.0, 100.0]], [[5.0, 6.0], [100.0, 100.0], [100.0, 100.0]]],
        dtype=np.float32,
    )
    mask = np.array([[1, 1, 0], [1, 0, 0]], dtype=np.int64)
    np.testing.assert_allclose(pool(hidden, mask, ["mean"]), [[2.0, -1.0], [5.0, 6.0]])
    np.testing.assert_allclose(pool(hidden, mask, ["max"]), [[3.0, 2.0], [5.0, 6.0]])
    np.testing.assert_allclose(pool(hidden, mask, ["cls"]), [[1.0, 2.0], [5.0, 6.0]])
    np.testing.assert_allclose(
        pool(hidden, mask, ["mean_sqrt_len_tokens"]),
        [[4.0 / np.sqrt(2), -2.0 / np.sqrt(2)], [5.0, 6.0]],
    )
    assert pool(hidden, mask, ["cls", "mean"]).shape == (2, 4)
    with pytest.raises(ValueError, match="lasttoken"):
        pool(hidden, mask, ["lasttoken"])


def test_l2_normalise_leaves_zero_rows_zero() -> None:
    out = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
