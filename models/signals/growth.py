"""How a cluster of unmatched posts grows against its own past (`models.signals.emerging`):
pure functions of its posts' ages (seconds before now) and the clustering settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from models.signals.emerging import EmergingConfig


def growth(ages: npt.NDArray[np.float64], config: EmergingConfig) -> float:
    """Posts per second in the last `recent` over posts per second before it (within `window`)
    for a cluster whose posts are `ages` seconds old; with no earlier posts, the recent count."""
    recent_s, window_s = config.recent.total_seconds(), config.window.total_seconds()
    recent = int((ages <= recent_s).sum())
    past = len(ages) - recent
    past_span = min(float(ages.max()), window_s) - recent_s if len(ages) else 0.0
    if past == 0 or past_span <= 0:
        return float(recent)
    return (recent / recent_s) / (past / past_span)


def bursty(ages: npt.NDArray[np.float64], config: EmergingConfig) -> bool:
    """Whether a cluster (its posts' `ages`) is new within `recent` or grows by `min_growth`."""
    return bool((ages <= config.recent.total_seconds()).all()) or (
        growth(ages, config) >= config.min_growth
    )


def sustained(ages: npt.NDArray[np.float64], config: EmergingConfig) -> bool:
    """Whether the cluster already grew by `min_growth` `sustain` ago (its posts then)."""
    if config.sustain is None:
        return True
    earlier = ages - config.sustain.total_seconds()
    earlier = earlier[earlier >= 0]
    return len(earlier) > 0 and growth(earlier, config) >= config.min_growth
