"""The ONNX int8 backend against sentence-transformers fp32 on the packaged model: same vectors
(cosine), the max length sentence-transformers uses, the cache keyed by backend, and the torch
fall-back for a model the ONNX encoder cannot reproduce. The artifact is exported once into the
configured cache dir (``narrmon model export`` at set-up normally made it already)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.matching.embedder import Embedder, packaged_model_path
from models.matching.onnx_encoder import OnnxEncoder
from models.matching.onnx_export import ensure_artifact
from models.matching.onnx_spec import read_spec
from pipeline.settings import Settings

pytestmark = pytest.mark.slow

ARTICLE = Path(__file__).parents[4] / "pipeline/demo_data/articles/000_28d172a8c1a3df7d.txt"
VARIED = [
    # short posts
    "They rigged the 2020 election with fake ballots",
    "Nice weather at the beach today with the kids",
    "lol no way that's real 😂😂",
    "BREAKING!!! THEY ARE LYING TO YOU ABOUT THE VOTE COUNT",
    "Polls close at 8pm. Bring your ID if your state requires it.",
    "Fact check: no evidence of fraud, the election was not stolen",
    "@someone you should read this before sharing https://t.co/abc123 #Election2024",
    "Vaccines contain microchips that track you",
    "Book club moved to Thursday, too many of us are glued to the news",
    "School board races matter! Scroll down the ballot",
    "My polling place is in a church basement with the best bake sale in town",
    "Dead people voted in Georgia, thousands of them, look it up",
    # emoji-heavy
    "🗳️🇺🇸 Go vote today!!! 🙏🙏🔥",
    "Stop the steal 🛑🛑 #MAGA 🇺🇸🇺🇸🇺🇸",
    "🤡🤡 the media is at it again 📺🤥",
    "Happy election day everyone 🎉🥳 whatever happens, be kind ❤️",
    # non-English
    "Les bureaux de vote ferment à 20 heures dimanche.",
    "Die Wahl wurde manipuliert, sagen sie, aber es gibt keine Beweise.",
    "Las máquinas de votación cambiaron los votos, según un video viral.",
    "As urnas eletrônicas foram fraudadas, diz post que viralizou.",
    "Выборы были сфальсифицированы, утверждают в соцсетях.",
    "选举结果被操纵了网上有人这样说。",
    "東京で大きな地震が発生しました、情報を確認してください",
    "الانتخابات مزورة حسب منشورات على مواقع التواصل",
    "चुनाव में धांधली हुई, ऐसा सोशल मीडिया पर दावा किया जा रहा है",
    "Il voto per posta è sicuro secondo gli esperti elettorali.",
    # long
    ARTICLE.read_text(encoding="utf-8"),
    "The county election board said the hand recount matched the machine count within three "
    "votes, and that the observers from both parties signed off on every batch. " * 6,
    "Thread 1/12: here is everything we know so far about the ballots found in the ditch, "
    "where they came from, who found them, and what the sheriff said this afternoon. " * 3,
    "A long post with a URL https://example.com/a/very/long/path?with=query&and=params and "
    "mentions @a @b @c and hashtags #one #two #three that keeps going for a while.",
    "Officials confirmed that the Starlink terminals were not connected to any tabulator, "
    "and that no voting machine in the state is connected to the internet during counting.",
    "Election workers are being doxxed: their names and home addresses posted online.",
]
NEAR_EMPTY = ["?", "ok", "🔥🔥🔥"]


@pytest.fixture(scope="module")
def artifact() -> Path:
    return ensure_artifact(Path(packaged_model_path()), Settings().cache_dir)


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    torch_embedder = Embedder(backend="torch", memo_size=0)
    return torch_embedder.encode_uncached(VARIED + NEAR_EMPTY)


def test_onnx_int8_vectors_match_torch_fp32(artifact: Path, torch_vectors: np.ndarray) -> None:
    embedder = Embedder(cache_dir=Settings().cache_dir)
    got = embedder.encode(VARIED + NEAR_EMPTY)
    assert embedder.backend == "onnx-int8"
    assert got.shape == torch_vectors.shape == (len(VARIED) + 3, 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(got * torch_vectors, axis=1)
    worst = int(np.argmin(cosines[: len(VARIED)]))
    assert cosines[worst] >= 0.98, f"cosine {cosines[worst]:.4f} for {VARIED[worst][:60]!r}"
    # texts of one or two tokens carry little signal; int8 moves them most (see models/README.md)
    assert np.all(cosines[len(VARIED) :] >= 0.95), cosines[len(VARIED) :]


def test_truncates_at_the_sentence_transformers_max_length_not_the_tokenizer_files(
    artifact: Path,
) -> None:
    encoder = OnnxEncoder(artifact, threads=1)
    assert (
        encoder.spec.max_seq_length == 256 == read_spec(Path(packaged_model_path())).max_seq_length
    )
    ids = encoder._tokenizer.encode(ARTICLE.read_text(encoding="utf-8")).ids
    assert len(ids) == 256  # tokenizer.json alone says 128


def test_artifact_is_reused_and_cache_is_keyed_by_backend(artifact: Path) -> None:
    stamp = (artifact / "model.onnx").stat().st_mtime_ns
    assert ensure_artifact(Path(packaged_model_path()), Settings().cache_dir) == artifact
    assert (artifact / "model.onnx").stat().st_mtime_ns == stamp
    onnx_key = Embedder(backend="onnx-int8").cache_key
    torch_key = Embedder(backend="torch").cache_key
    assert onnx_key != torch_key


def test_unsupported_model_falls_back_to_torch_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = Path(packaged_model_path())
    folder = tmp_path / "model"
    folder.mkdir()
    for item in source.iterdir():
        if item.name != "1_Pooling":
            (folder / item.name).symlink_to(item)
    (folder / "1_Pooling").mkdir()
    config = (source / "1_Pooling/config.json").read_text(encoding="utf-8")
    config = config.replace(
        '"pooling_mode_mean_tokens": true', '"pooling_mode_weightedmean_tokens": true'
    )
    (folder / "1_Pooling/config.json").write_text(config, encoding="utf-8")
    embedder = Embedder(str(folder), cache_dir=tmp_path / "cache")
    with caplog.at_level(logging.WARNING, logger="models"):
        vectors = embedder.encode(["weighted mean pooling is not exported"])
    assert embedder.backend == "torch"
    assert vectors.shape == (1, 384)
    assert any("weightedmean" in r.getMessage() and "using torch" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    assert not (tmp_path / "cache" / "onnx").exists() or not any(
        (tmp_path / "cache/onnx").iterdir()
    )
    shutil.rmtree(folder)
