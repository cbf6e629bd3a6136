"""Atomic writes: concurrent writers in several processes never share a temporary file, and a
reader only ever sees one complete version. No package module pickles or uses a fixed temp name."""

from __future__ import annotations

import multiprocessing
import re
from pathlib import Path

from models.files import write_atomic

ROOT = Path(__file__).resolve().parents[3]


def _writer(path: str, tag: str, rounds: int) -> None:
    for i in range(rounds):
        write_atomic(Path(path), f"{tag}:{i}:" + tag * 20_000)


def test_concurrent_writers_in_several_processes_never_mix_their_files(tmp_path: Path) -> None:
    target = tmp_path / "state" / "target.json"
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_writer, args=(str(target), tag, 60)) for tag in ("a", "b", "c")
    ]
    for process in writers:
        process.start()
    seen = 0
    while any(p.is_alive() for p in writers):
        if target.exists():
            tag, _, rest = target.read_text(encoding="utf-8").partition(":")
            assert rest.split(":", 1)[1] == tag * 20_000  # complete, one writer's content
            seen += 1
    for process in writers:
        process.join()
        assert process.exitcode == 0
    assert seen > 0
    assert [p.name for p in target.parent.iterdir()] == ["target.json"]  # no temp file left


def test_no_pickle_and_no_fixed_temporary_names_in_the_packages() -> None:
    fixed_tmp = re.compile(
        r"""(with_suffix\(\s*["'][^"']*\.tmp["']|\+\s*["']\.tmp["']|NamedTemporaryFile\()"""
    )
    offenders = []
    for package in ("pipeline", "connectors", "models"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"^\s*(import pickle|from pickle|import dill|import joblib)", text, re.M):
                offenders.append(f"{path.relative_to(ROOT)}: pickle")
            if fixed_tmp.search(text):
                offenders.append(f"{path.relative_to(ROOT)}: fixed temporary file name")
    assert offenders == []
