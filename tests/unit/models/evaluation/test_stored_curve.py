"""The curve a calibrator stores when it is fit, read back, and `narrmon catalog threshold`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from models.evaluation.openset import at_precision
from models.evaluation.stored_curve import curve_source, stored_curve
from models.matching.calibration import Calibrator, calibrator_for
from pipeline.cli import main

FIXTURE_CATALOG = Path(__file__).parents[1] / "fixtures" / "catalog.yaml"


def _entry(threshold: float, recall: float, precision: float, false_alarms: float) -> dict:
    return {"threshold": threshold, "queries": 100, "present": 40, "absent": 60,
            "recall": recall, "top1_accuracy": recall, "false_alarm_rate": false_alarms,
            "hit_precision": precision, "hits_per_post": 0.4, "hits": 40}  # fmt: skip


def _calibrator(curve: list[dict], **meta: object) -> Calibrator:
    shipped = calibrator_for("vclaims")
    return dataclasses.replace(shipped, meta={**meta, "curve": curve}, recent=None)


def test_the_stored_curve_reads_back_sorted_and_picks_a_target() -> None:
    entries = [_entry(0.6, 0.7, 0.95, 0.02), _entry(0.4, 0.8, 0.9, 0.05),
               _entry(0.2, 0.9, 0.8, 0.10)]  # fmt: skip
    cal = _calibrator(entries, select="batch-out", trained_on="a.jsonl")
    points = stored_curve(cal)
    assert [p.threshold for p in points] == [0.2, 0.4, 0.6]
    assert points[0].hits == 40 and isinstance(points[0].hits, int)
    assert at_precision(points, 0.9) == points[1]
    assert "left out" in curve_source(cal) and "a.jsonl" in curve_source(cal)
    assert stored_curve(dataclasses.replace(cal, meta={})) == []
    with pytest.raises(ValueError, match="lacks a field"):
        stored_curve(_calibrator([{"threshold": 0.5}]))


@pytest.mark.parametrize("catalog", ["vclaims", "election-2024"])
def test_each_shipped_calibrator_meets_its_targets_on_its_own_stored_curve(catalog: str) -> None:
    cal = calibrator_for(catalog)
    points = {round(p.threshold, 3): p for p in stored_curve(cal)}
    chosen = points[round(cal.threshold, 3)]
    target, limit = cal.meta["target_precision"], cal.meta["max_false_alarm"]
    assert chosen.hit_precision >= target and chosen.false_alarm_rate <= limit
    # the threshold was the best recall meeting both: no point meeting them recalls more
    ok = [p for p in points.values() if p.hit_precision >= target and p.false_alarm_rate <= limit]
    assert chosen.recall == max(p.recall for p in ok)


def _threshold_args(cal: Calibrator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`narrmon catalog threshold` arguments for the fixture catalog, deciding with `cal`."""
    cal.save(tmp_path / "cal.json")
    monkeypatch.setenv("NARRMON_MATCHER__CALIBRATOR", str(tmp_path / "cal.json"))
    monkeypatch.setenv("NARRMON_STATE_DIR", str(tmp_path))
    return ["catalog", "threshold", "--catalog", str(FIXTURE_CATALOG)]


def test_catalog_threshold_prints_the_curve_and_the_pick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cal = _calibrator([_entry(0.4, 0.8, 0.9, 0.05), _entry(0.5, 0.75, 0.93, 0.03),
                       _entry(0.6, 0.7, 0.96, 0.02)], cv_folds=5, trained_on="t.tsv")  # fmt: skip
    args = _threshold_args(cal, tmp_path, monkeypatch)
    shown = CliRunner().invoke(main, [*args, "--target-precision", "0.95"])
    assert shown.exit_code == 0, shown.output
    assert "5-fold cross-validation (t.tsv)" in shown.output
    assert "0.500   0.750   0.030  0.930  <- live" in shown.output
    assert "threshold 0.600, recall 0.700" in shown.output
    assert "NARRMON_MATCHER__THRESHOLD=0.6" in shown.output
    monkeypatch.setenv("NARRMON_MATCHER__THRESHOLD", "0.4")
    data = json.loads(CliRunner().invoke(main, [*args, "--json"]).output.strip().splitlines()[-1])
    assert data["live_threshold"] == 0.4 and data["threshold"] == cal.threshold
    assert len(data["curve"]) == 3 and data["at_target"] is None


def test_catalog_threshold_shows_the_recent_part_with_its_own_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = _calibrator([_entry(0.5, 0.75, 0.93, 0.03)], cv_folds=5, trained_on="t.tsv")
    recent = _calibrator([_entry(0.5, 0.6, 0.91, 0.04), _entry(0.6, 0.55, 0.96, 0.02)],
                         cv_folds=5, trained_on="t.tsv", post_date="2026-11-30")  # fmt: skip
    recent = dataclasses.replace(recent, threshold=0.6, catalogs=())
    args = _threshold_args(dataclasses.replace(parent, recent=recent), tmp_path, monkeypatch)
    shown = CliRunner().invoke(main, [*args, "--target-precision", "0.95"])
    assert shown.exit_code == 0, shown.output
    assert "'recent' part: threshold 0.600, live 0.600" in shown.output
    assert "5-fold cross-validation (t.tsv, every query dated 2026-11-30)" in shown.output
    assert "0.600   0.550   0.020  0.960  <- live" in shown.output
    assert "no threshold reached hit precision 0.95" in shown.output  # the parent's curve
    data = json.loads(CliRunner().invoke(main, [*args, "--json"]).output.strip().splitlines()[-1])
    assert data["recent"]["threshold"] == 0.6 and len(data["recent"]["curve"]) == 2
