"""`narrmon catalog threshold`: what the live hit threshold costs for a catalog, and the one
reaching a target precision, from the curve stored in its calibrator (no labelled posts needed;
`narrmon eval posts --curve` measures it on the team's own posts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from models.evaluation.openset import OpenSetMetrics
    from models.matching.calibration import Calibrator


@click.command(name="threshold")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--catalog", "catalog_option", type=click.Path(path_type=Path), default=None,
              help="Catalog file or folder (default: NARRMON_CATALOG__PATH, else the bundled "
              "example).")  # fmt: skip
@click.option(
    "--target-precision",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Print the threshold reaching this hit precision and the recall it costs.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def threshold(
    path: Path | None, catalog_option: Path | None, target_precision: float | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Print the calibrator deciding hits for a catalog, its probability threshold (and the
    live one, NARRMON_MATCHER__THRESHOLD), and recall, false alarms and hit precision at each
    threshold as measured out of sample when it was fit; with --target-precision, the threshold
    reaching it."""
    from models.evaluation.openset import at_precision
    from models.evaluation.stored_curve import stored_curve
    from models.matching.calibration import Calibrator, shipped_calibrator
    from pipeline.cli.catalog import _load
    from pipeline.cli.context import load_settings

    catalog = _load(path, catalog_option, announce=False)
    settings = load_settings(announce=False)
    configured = settings.matcher.calibrator
    try:
        if configured is not None:
            file, calibrator = Path(configured), Calibrator.load(Path(configured))
        else:
            file, calibrator = shipped_calibrator(catalog.name)
        points = stored_curve(calibrator)
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"calibrator {configured or catalog.name}: {exc}") from exc
    own = settings.matcher.threshold
    live = calibrator.threshold if own is None else own
    target = at_precision(points, target_precision) if target_precision is not None else None
    recent = calibrator.recent
    recent_points = stored_curve(recent) if recent is not None else []
    recent_live = recent.threshold if recent is not None and own is None else live
    recent_target = (
        at_precision(recent_points, target_precision) if target_precision is not None else None
    )
    if as_json:
        click.echo(json.dumps({
            "catalog": catalog.name, "calibrator": str(file), "fit_for": list(calibrator.catalogs),
            **_part_json(calibrator, points, live, target), "target_precision": target_precision,
            "recent": None if recent is None else _part_json(recent, recent_points, recent_live,
                                                            recent_target),
        }))  # fmt: skip
        return
    fit_for = ", ".join(calibrator.catalogs) or "no catalog"
    click.echo(f"catalog {catalog.name}: calibrator {file} (fit for {fit_for}), threshold "
               f"{calibrator.threshold:.3f}, live {live:.3f}")  # fmt: skip
    _print_curve(calibrator, points, live, target_precision, target)
    if recent is not None:
        click.echo(f"posts newer than a dated catalog (its old claim dates read as undated) are "
                   f"decided by the calibrator's 'recent' part: threshold "
                   f"{recent.threshold:.3f}, live {recent_live:.3f} "
                   f"(NARRMON_MATCHER__THRESHOLD sets both parts)")  # fmt: skip
        _print_curve(recent, recent_points, recent_live, target_precision, recent_target)


def _part_json(
    calibrator: Calibrator, points: Sequence[OpenSetMetrics], live: float,
    target: OpenSetMetrics | None,
) -> dict[str, object]:  # fmt: skip
    from models.evaluation.stored_curve import curve_source

    return {
        "threshold": calibrator.threshold, "live_threshold": live,
        "curve_from": curve_source(calibrator) if points else None,
        "curve": [p.as_json() for p in points],
        "at_target": target.as_json() if target is not None else None,
    }  # fmt: skip


def _print_curve(
    calibrator: Calibrator, points: Sequence[OpenSetMetrics], live: float,
    target_precision: float | None, target: OpenSetMetrics | None,
) -> None:  # fmt: skip
    from models.evaluation.stored_curve import curve_source

    if not points:
        click.echo("this calibrator stores no curve (refit it with "
                   "python -m models.evaluation.calibrate_train)")  # fmt: skip
        return
    click.echo(f"measured on {curve_source(calibrator)}:")
    click.echo(f"{'threshold':>9} {'recall':>7} {'f-alarm':>7} {'hit-P':>6}")
    for p in points:
        mark = "  <- live" if abs(p.threshold - live) < 1e-9 else ""
        click.echo(f"{p.threshold:>9.3f} {p.recall:>7.3f} {p.false_alarm_rate:>7.3f} "
                   f"{p.hit_precision:>6.3f}{mark}")  # fmt: skip
    if target_precision is None:
        return
    if target is None:
        click.echo(f"no threshold reached hit precision {target_precision}")
        return
    click.echo(f"hit precision >= {target_precision}: threshold {target.threshold:.3f}, recall "
               f"{target.recall:.3f}, false alarms {target.false_alarm_rate:.3f}; set "
               f"NARRMON_MATCHER__THRESHOLD={target.threshold:g}")  # fmt: skip
