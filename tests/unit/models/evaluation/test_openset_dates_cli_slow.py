"""`narrmon eval openset --post-date` with the packaged model and the shipped re-ranker and
calibrator, on a CheckThat! 2022 2A TRAIN slice (tuning data): dated the day a monitor sees them,
years after their claims, the default (`NARRMON_MATCHER__CLAIM_DATES=auto`) keeps more of the
queries whose claim is in the catalog than reading every claim date; dated by their tweets
(older than the catalog), it decides exactly as reading every date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.checkthat_slice import DATA, first_qrels, write_slice

pytestmark = pytest.mark.slow

QUERIES, DISTRACTORS = 120, 1200


def _slice(tmp_path: Path) -> tuple[Path, Path, Path]:
    assert (DATA / "vclaims.jsonl").exists(), f"CheckThat! 2022 2A data not at {DATA}"
    qrels = first_qrels("train", QUERIES)
    catalog = write_slice(tmp_path / "vclaims.jsonl", qrels, DISTRACTORS)
    qrels_path = tmp_path / "qrels.tsv"
    qrels_path.write_text("".join(f"{q} 0 {c} 1\n" for q, cs in qrels.items() for c in cs))
    return catalog, DATA / "train.queries.tsv", qrels_path


def _run(args: list[str], mode: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from pipeline.cli import main

    monkeypatch.setenv("NARRMON_MATCHER__CLAIM_DATES", mode)
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])
    assert report["claim_dates"] == mode
    return report


def test_a_post_newer_than_its_catalog_is_not_sunk_by_old_claim_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog, queries, qrels = _slice(tmp_path)
    base = ["eval", "openset", "--catalog", str(catalog), "--queries", str(queries),
            "--qrels", str(qrels)]  # fmt: skip
    today = [*base, "--post-date", "2026-11-30"]
    auto, every = _run(today, "auto", monkeypatch), _run(today, "all", monkeypatch)
    assert auto["post_date"] == "2026-11-30"
    assert auto["live"]["present"] == every["live"]["present"] > 20
    assert auto["live"]["recall"] > every["live"]["recall"]
    tweets = _run(base, "auto", monkeypatch)
    assert tweets["post_date"] is None
    assert tweets["live"] == _run(base, "all", monkeypatch)["live"]
    assert tweets["curve"] == _run(base, "all", monkeypatch)["curve"]
