"""The new-set checker: copied word runs, labels the catalog lacks, repeats and the stance mix are
refused by post id, and the CLI never prints a reference text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.evaluation.evalset_check import main, problems, reference_runs, word_runs
from models.evaluation.posts_eval import LabelledPost


def test_word_runs_are_lowercased_consecutive_words() -> None:
    assert word_runs("One two, THREE four five six") == {
        "one two three four five", "two three four five six",
    }  # fmt: skip
    assert word_runs("too short to have one") == {"too short to have one"}
    assert word_runs("four words only here") == set()


def test_copied_run_refused_paraphrase_passes() -> None:
    ref = reference_runs(["Officials said the ballots were counted twice in the county"])
    copied = "They told us the ballots were counted twice in the county!"
    posts = [
        LabelledPost(copied, "a", "promotes", id="p1"),
        LabelledPost("County staff tallied every envelope a second time", "a", "debunks", id="p2"),
    ]
    found = problems(posts, {"a"}, ref)
    assert found == ["p1: shares a run of 5 words with a reference text"]


def test_labels_repeats_and_mix() -> None:
    posts = [
        LabelledPost("first text here", "a", "promotes", id="x"),
        LabelledPost("first text here", "zz", "debunks", id="x"),
        LabelledPost("chatter with a stance", None, "promotes", id="c"),
    ]
    found = problems(posts, {"a", "b"}, set(), mix=(1, 0, 0))
    assert "x: unknown narrative 'zz'" in found
    assert "x: id used 2 times" in found
    assert "x: the same text appears 2 times" in found
    assert "c: chatter (narrative null) cannot carry a stance" in found
    assert "b: promotes/debunks/discusses 0/0/0, expected 1/0/0" in found
    assert not any(line.startswith("a:") for line in found)  # a has exactly 1/0/0


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_cli_refuses_by_id_without_printing_the_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = tmp_path / "c.yaml"
    catalog.write_text(
        "catalog: t\nnarratives:\n  - id: a\n    title: Machines flipped votes\n"
        "    exemplars: ['the machines flipped my vote in the county']\n",
        encoding="utf-8",
    )
    secret = "a quiet sentence nobody else should ever copy out"
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "seed.txt").write_text(secret, encoding="utf-8")
    new = _write(tmp_path / "new.jsonl", [
        {"id": "n1", "text": "so a quiet sentence nobody else said", "label":
         {"narrative": "a", "stance": "promotes"}},
        {"id": "n2", "text": "fresh words entirely", "label": {"narrative": None, "stance": None}},
    ])  # fmt: skip
    assert main([str(new), "--catalog", str(catalog), "--against", str(tmp_path / "refs")]) == 1
    out = capsys.readouterr().out
    assert "n1: shares a run of 5 words" in out and "n2" not in out
    assert secret not in out and "refused" in out
    clean = _write(tmp_path / "clean.jsonl", [
        {"id": "k1", "text": "entirely different words about counting", "label":
         {"narrative": "a", "stance": "debunks"}},
    ])  # fmt: skip
    # the new file itself is skipped when it sits inside an --against folder
    assert main([str(clean), "--catalog", str(catalog), "--against", str(tmp_path)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("OK")
