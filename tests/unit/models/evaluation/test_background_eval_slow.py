"""`narrmon eval background` with the packaged model and the shipped election calibrator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from models.evaluation.background import in_part
from pipeline.cli import main

pytestmark = pytest.mark.slow

CATALOG = Path(__file__).parents[4] / "models" / "catalogs" / "election-2024.yaml"
OFF_TOPIC = [
    f"{what} {where}"
    for what in ("A hawk dropped a snake", "Wine contains arsenic", "A cat learned to open doors",
                 "The marathon was moved", "A bakery sold a giant cake")
    for where in ("in Ohio.", "at a barbecue.", "last week.", "near the river.", "on Sunday.",
                  "in a small town.")
]  # fmt: skip


def test_counts_hits_on_the_eval_part_without_possible_claims(tmp_path: Path) -> None:
    texts = tmp_path / "bg.tsv"
    rows = [*OFF_TOPIC, "Ballot counting resumed in Ohio.", "They stole the election with mules."]
    texts.write_text("".join(f"{i}\t{t}\n" for i, t in enumerate(rows)), encoding="utf-8")
    args = ["eval", "background", "--catalog", str(CATALOG), "--texts", str(texts),
            "--exclude", r"\bballot\w*"]  # fmt: skip
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    # the 'mules' post holds a catalog keyword and the ballot post the extra pattern: both out
    assert report["posts"] == sum(in_part(t, "eval") for t in OFF_TOPIC)
    assert report["posts_with_a_hit"] == 0 and report["per_narrative"] == {}
    fit = CliRunner().invoke(main, [*args, "--json", "--part", "fit"])
    assert json.loads(fit.output.strip().splitlines()[-1])["posts"] == sum(
        in_part(t, "fit") for t in OFF_TOPIC
    )
    shown = CliRunner().invoke(main, [*args, "--errors"])
    assert "posts with a hit 0/" in shown.output
