"""`narrmon eval posts --curve --target-precision` with the packaged model and the shipped
election calibrator, on tuning posts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[4]
CATALOG = ROOT / "models" / "catalogs" / "election-2024.yaml"
TUNING = ROOT / "models" / "evalsets" / "election-2024-tuning-spoken.jsonl"


def test_prints_the_curve_and_the_threshold_reaching_a_precision(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(TUNING.read_text(encoding="utf-8").splitlines(True)[:40]))
    args = ["eval", "posts", "--catalog", str(CATALOG), "--posts", str(posts)]
    result = CliRunner().invoke(main, [*args, "--curve", "--target-precision", "0.9", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    curve = report["curve"]
    assert [p["threshold"] for p in curve] == sorted(p["threshold"] for p in curve)
    assert len(curve) >= 10
    assert [p["predicted"] for p in curve] == sorted((p["predicted"] for p in curve), reverse=True)
    target = report["at_target"]
    assert target["precision"] >= 0.9
    assert target["recall"] == max(p["recall"] for p in curve if p["precision"] >= 0.9)
    shown = CliRunner().invoke(main, [*args, "--target-precision", "0.9"])
    assert "precision >= 0.9: threshold" in shown.output
    assert "curve:" not in shown.output  # the table only with --curve
    unreachable = CliRunner().invoke(main, [*args, "--target-precision", "1.0", "--curve"])
    assert "curve:" in unreachable.output
    # repeated --posts score the sets pooled
    rest = tmp_path / "rest.jsonl"
    rest.write_text("".join(TUNING.read_text(encoding="utf-8").splitlines(True)[40:60]))
    both = CliRunner().invoke(main, [*args, "--posts", str(rest), "--json"])
    assert both.exit_code == 0, both.output
    assert json.loads(both.output.strip().splitlines()[-1])["posts"] == 60
