"""The statistics behind the spike rule: a per-key EWMA baseline and the verdict on one minute.

Pure and clock-free; the rule itself is documented in `pipeline.spikes.detector`.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from pipeline.settings import SpikeThresholds

_MAX_FOLD_MINUTES = 24 * 60
"""Empty windows folded one by one at most by default; beyond that the baseline is zero."""

BaselineStore = MutableMapping[str, dict[str, Any]]
"""Per-key EWMA state (`Baseline.to_dict`): a dict, or a Faust table in the worker."""


def ewma_alpha(half_life_min: float) -> float:
    """Per-minute smoothing factor for an EWMA with the given half-life in minutes."""
    return float(1.0 - 0.5 ** (1.0 / half_life_min))


@dataclass
class Baseline:
    """EWMA state of one key, per window (a minute by default; the field names say "minute" for
    the stored format's sake). ``minutes``: windows folded in; ``last_minute``: epoch window
    number last folded in (None: never)."""

    mean: float = 0.0
    var: float = 0.0
    minutes: int = 0
    last_minute: int | None = None
    last_spike_minute: int | None = None

    def fold(self, count: float, alpha: float) -> None:
        """Fold one minute's count into mean and variance (incremental EWMA variance).

        The first minute sets the mean outright, so a steady narrative is not judged against an
        EWMA still climbing from zero."""
        if self.minutes == 0:
            self.mean, self.var, self.minutes = count, 0.0, 1
            return
        diff = count - self.mean
        increment = alpha * diff
        self.mean += increment
        self.var = (1.0 - alpha) * (self.var + diff * increment)
        self.minutes += 1

    def advance_to(self, minute: int, alpha: float, max_fold: int = _MAX_FOLD_MINUTES) -> None:
        """Fold zeros for the empty windows after ``last_minute`` up to (not including) `minute`;
        a gap longer than `max_fold` windows resets the baseline to zero."""
        if self.last_minute is None:
            return
        gap = minute - self.last_minute - 1
        for _ in range(min(max(gap, 0), max_fold)):
            self.fold(0.0, alpha)
        if gap > max_fold:
            self.mean = 0.0
            self.var = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": self.mean,
            "var": self.var,
            "minutes": self.minutes,
            "last_minute": self.last_minute,
            "last_spike_minute": self.last_spike_minute,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any] | None) -> Baseline:
        if not value:
            return cls()
        return cls(
            mean=float(value.get("mean", 0.0)),
            var=float(value.get("var", 0.0)),
            minutes=int(value.get("minutes", 0)),
            last_minute=value.get("last_minute"),
            last_spike_minute=value.get("last_spike_minute"),
        )


@dataclass(frozen=True)
class Verdict:
    is_spike: bool
    z: float
    sd: float
    reason: str


def judge(
    count: int,
    distinct_authors: int,
    baseline: Baseline,
    thresholds: SpikeThresholds,
    variance_floor: float,
) -> Verdict:
    """Apply the three-part rule (volume, breadth, significance) to one closed minute."""
    sd = math.sqrt(max(baseline.var, baseline.mean, variance_floor))
    z = (count - baseline.mean) / sd
    if count < thresholds.min_volume:
        return Verdict(False, z, sd, "below min_volume")
    if distinct_authors < thresholds.min_authors:
        return Verdict(False, z, sd, "below min_authors")
    if z < thresholds.min_z:
        return Verdict(False, z, sd, "not significant")
    return Verdict(True, z, sd, "spike")
