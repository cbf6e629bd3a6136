"""Replay pacing: publish at the original rhythm, N times faster, or as fast as possible.

`Pacer` takes the clock and sleep functions, so tests drive it without waiting.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

_FACTOR = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*x\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Speed:
    """How fast to replay: `factor` times the original pace, or unpaced when `factor` is None."""

    factor: float | None

    @property
    def unpaced(self) -> bool:
        return self.factor is None

    def __str__(self) -> str:
        if self.factor is None:
            return "max"
        return "original" if self.factor == 1 else f"{self.factor:g}x"


def parse_speed(value: str) -> Speed:
    """``original`` (= ``1x``), ``Nx`` (N > 0, decimals allowed) or ``max``. Raises ValueError."""
    spec = value.strip().lower()
    if spec == "max":
        return Speed(None)
    if spec == "original":
        return Speed(1.0)
    match = _FACTOR.match(spec)
    if match and float(match.group(1)) > 0:
        return Speed(float(match.group(1)))
    raise ValueError(f"speed must be 'original', 'max' or like '10x', got {value!r}")


class Pacer:
    """Sleeps so that posts go out with their `created_at` gaps divided by the speed factor.

    The first post anchors replay time to the clock; each later post waits until
    ``anchor + (created_at - first_created_at) / factor``. Posts older than the first, or already
    late, go out at once (lateness is never made up by skipping). Unpaced: never sleeps.
    `max_wait_s` caps any single wait (long silences in a recording need not be replayed).
    """

    def __init__(
        self,
        speed: Speed,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_s: float | None = None,
    ) -> None:
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self._max_wait_s = max_wait_s
        self._anchor: tuple[float, datetime] | None = None

    def delay_for(self, created_at: datetime) -> float:
        """Seconds to wait before publishing a post created at `created_at` (no side effects
        except anchoring on the first call)."""
        if self.speed.factor is None:
            return 0.0
        now = self._clock()
        if self._anchor is None:
            self._anchor = (now, created_at)
            return 0.0
        start, first = self._anchor
        target = start + (created_at - first).total_seconds() / self.speed.factor
        delay = max(0.0, target - now)
        if self._max_wait_s is not None and delay > self._max_wait_s:
            # Shift the anchor so the posts after a capped silence keep their relative gaps.
            self._anchor = (start - (delay - self._max_wait_s), first)
            delay = self._max_wait_s
        return delay

    def wait(self, created_at: datetime) -> float:
        """Block until the post created at `created_at` is due; returns the seconds slept."""
        delay = self.delay_for(created_at)
        if delay > 0:
            self._sleep(delay)
        return delay
