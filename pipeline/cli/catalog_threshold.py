"""`narrmon catalog threshold`: what the live hit threshold costs for a catalog, and the one
reaching a target precision, from the curve stored in its calibrator (no labelled posts needed;
`narrmon eval posts --curve` measures it on the team's own posts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
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
    from models.matching.calibration import Calibrator, shipped_calibrator
    from pipeline.cli.catalog import _load
    from pipeline.cli.context import load_settings

    catalog = _load(path, catalog_option, announce=False)
    settings = load_settings(announce=False)
    configured = settings.matcher.calibrator
    own = settings.matcher.threshold
    try:
        if configured is not None:
            file, calibrator = Path(configured), Calibrator.load(Path(configured))
        else:
            file, calibrator = shipped_calibrator(catalog.name)
        first = _Part.of(calibrator, own, target_precision)
        recent = (
            None if calibrator.recent is None
            else _Part.of(calibrator.recent, own, target_precision)
        )  # fmt: skip
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"calibrator {configured or catalog.name}: {exc}") from exc
    if as_json:
        click.echo(json.dumps({
            "catalog": catalog.name, "calibrator": str(file), "fit_for": list(calibrator.catalogs),
            **first.as_json(), "target_precision": target_precision,
            "recent": None if recent is None else recent.as_json(),
        }))  # fmt: skip
        return
    fit_for = ", ".join(calibrator.catalogs) or "no catalog"
    click.echo(f"catalog {catalog.name}: calibrator {file} (fit for {fit_for}), threshold "
               f"{calibrator.threshold:.3f}, live {first.live:.3f}")  # fmt: skip
    first.print_curve(target_precision)
    if recent is not None:
        click.echo(f"posts newer than a dated catalog (its old claim dates read as undated) are "
                   f"decided by the calibrator's 'recent' part: threshold "
                   f"{recent.calibrator.threshold:.3f}, live {recent.live:.3f} "
                   f"(NARRMON_MATCHER__THRESHOLD sets both parts)")  # fmt: skip
        recent.print_curve(target_precision)


@dataclass(frozen=True)
class _Part:
    """One calibrator part as the command shows it: its stored curve, the threshold live for it
    and, with a target precision, the threshold reaching it."""

    calibrator: Calibrator
    points: Sequence[OpenSetMetrics]
    live: float
    target: OpenSetMetrics | None

    @classmethod
    def of(cls, calibrator: Calibrator, own: float | None, target_precision: float | None) -> _Part:
        """`own`: NARRMON_MATCHER__THRESHOLD (it replaces every part's threshold)."""
        from models.evaluation.openset import at_precision
        from models.evaluation.stored_curve import stored_curve

        points = stored_curve(calibrator)
        target = at_precision(points, target_precision) if target_precision is not None else None
        return cls(calibrator, points, calibrator.threshold if own is None else own, target)

    def as_json(self) -> dict[str, object]:
        from models.evaluation.stored_curve import curve_source

        return {
            "threshold": self.calibrator.threshold, "live_threshold": self.live,
            "curve_from": curve_source(self.calibrator) if self.points else None,
            "curve": [p.as_json() for p in self.points],
            "at_target": self.target.as_json() if self.target is not None else None,
        }  # fmt: skip

    def print_curve(self, target_precision: float | None) -> None:
        from models.evaluation.stored_curve import curve_source

        if not self.points:
            click.echo("this calibrator stores no curve (refit it with "
                       "python -m models.evaluation.calibrate_train)")  # fmt: skip
            return
        click.echo(f"measured on {curve_source(self.calibrator)}:")
        click.echo(f"{'threshold':>9} {'recall':>7} {'f-alarm':>7} {'hit-P':>6}")
        for p in self.points:
            mark = "  <- live" if abs(p.threshold - self.live) < 1e-9 else ""
            click.echo(f"{p.threshold:>9.3f} {p.recall:>7.3f} {p.false_alarm_rate:>7.3f} "
                       f"{p.hit_precision:>6.3f}{mark}")  # fmt: skip
        if target_precision is None:
            return
        if self.target is None:
            click.echo(f"no threshold reached hit precision {target_precision}")
            return
        t = self.target
        click.echo(f"hit precision >= {target_precision}: threshold {t.threshold:.3f}, recall "
                   f"{t.recall:.3f}, false alarms {t.false_alarm_rate:.3f}; set "
                   f"NARRMON_MATCHER__THRESHOLD={t.threshold:g}")  # fmt: skip
