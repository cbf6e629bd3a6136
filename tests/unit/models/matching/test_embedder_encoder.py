"""`Embedder.encoder` names what computes the vectors, so weights fit on one encoder's vectors
(the re-ranker's ``meta.encoder``) say which one; it changes with the backend and ONNX recipe."""

from __future__ import annotations

from models.matching.embedder import Embedder
from models.matching.onnx_spec import RECIPE


def test_torch_encoder_is_the_backend() -> None:
    assert Embedder(backend="torch").encoder == "torch"


def test_onnx_encoder_names_its_recipe() -> None:
    assert Embedder(backend="onnx-int8").encoder == f"onnx-int8/{RECIPE}"
    assert Embedder(backend="onnx-int8").encoder != Embedder(backend="torch").encoder
