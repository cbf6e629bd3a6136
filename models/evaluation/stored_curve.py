"""What a shipped calibrator's threshold costs, without labelled data: the curve
`models.evaluation.calibrate_train` stores in the calibrator's ``meta["curve"]`` (the decision's
open-set metrics at each threshold, on the out-of-sample probabilities its threshold was chosen
on: cross-validation, or each tuning batch left out in turn, ``meta["select"]``), read back as
`OpenSetMetrics` so `models.evaluation.openset.at_precision` can pick the threshold reaching a
target precision. Pure.
"""

from __future__ import annotations

from models.evaluation.openset import OpenSetMetrics
from models.matching.calibration import Calibrator


def stored_curve(calibrator: Calibrator) -> list[OpenSetMetrics]:
    """The stored curve, by threshold ([] for a file fit before curves were stored). Raises
    ValueError for a curve entry that lacks a field."""
    points = []
    for entry in calibrator.meta.get("curve", []):
        try:
            points.append(OpenSetMetrics(
                threshold=float(entry["threshold"]), queries=int(entry["queries"]),
                present=int(entry["present"]), absent=int(entry["absent"]),
                recall=float(entry["recall"]), top1_accuracy=float(entry["top1_accuracy"]),
                false_alarm_rate=float(entry["false_alarm_rate"]),
                hit_precision=float(entry["hit_precision"]),
                hits_per_post=float(entry["hits_per_post"]), hits=int(entry["hits"]),
            ))  # fmt: skip
        except (KeyError, TypeError) as exc:
            raise ValueError(f"calibrator curve entry lacks a field: {exc}") from exc
    return sorted(points, key=lambda p: p.threshold)


def curve_source(calibrator: Calibrator) -> str:
    """Where the stored curve's probabilities come from, in words."""
    meta = calibrator.meta
    trained = meta.get("trained_on", "?")
    if meta.get("select") == "batch-out":
        return f"each tuning batch left out of the fit in turn ({trained})"
    dated = f", every query dated {meta['post_date']}" if "post_date" in meta else ""
    return f"{meta.get('cv_folds', '?')}-fold cross-validation ({trained}{dated})"
