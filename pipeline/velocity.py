"""Per-narrative hit rates the matching step keeps for the threat score's velocity. Pure (no
clock of its own, no I/O); one `NarrativeVelocity` per worker process.

**What it estimates.** For each narrative, two exponentially weighted rates of hits per minute:
a *current* rate (half-life `fast_half_life_min`, 2 minutes) and a *baseline* (half-life
`slow_half_life_min`, 60 minutes: the spike detector's default baseline half-life). Each hit at
time ``t_i`` adds ``lambda * exp(-lambda * (t - t_i))`` to the rate at time ``t`` (``lambda =
ln 2 / half-life``), so a steady rate ``r`` is estimated as ``r``; both are divided by
``1 - exp(-lambda * T)``, ``T`` being how long the tracker has been watching, so that a fresh
worker does not read every narrative as accelerating (the usual start-up bias correction).

**An approximation of the spike detector's rate and baseline**, which is exact but lives in the
spike agent's table on another topic (``hits.by-narrative``, owned per narrative by one worker):
the matching step cannot read it cheaply. Differences, documented because a reviewer sees them:

- *Time* is the post's ``created_at`` (capped at the processing clock), not the hit's
  ``matched_at``: a replay or a backlog keeps its real pace, and hits arriving out of order are
  counted where they belong.
- *Each worker sees only its share* of a narrative's hits (posts are spread over partitions by
  post id). Rate and baseline shrink by the same share, so their ratio, which is what the score
  uses, is unaffected; the baseline floor (`floor_per_min`) is per worker.
- *A restart forgets*: velocity is unknown for `warmup_min` minutes of post time after a worker
  starts (the score then counts velocity as 0 and says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from models.threat import Velocity


@dataclass
class _Rates:
    fast: float = 0.0
    slow: float = 0.0
    at_min: float = 0.0


class NarrativeVelocity:
    """Current rate and baseline per narrative id. Not thread-safe (one matching step owns it)."""

    def __init__(
        self,
        *,
        fast_half_life_min: float = 2.0,
        slow_half_life_min: float = 60.0,
        warmup_min: float = 10.0,
        floor_per_min: float = 0.2,
    ) -> None:
        if not 0 < fast_half_life_min < slow_half_life_min:
            raise ValueError("need 0 < fast_half_life_min < slow_half_life_min")
        self.fast_lambda = math.log(2) / fast_half_life_min
        self.slow_lambda = math.log(2) / slow_half_life_min
        self.warmup_min = warmup_min
        self.floor_per_min = floor_per_min
        self._rates: dict[str, _Rates] = {}
        self._first_min: float | None = None
        self._last_min: float | None = None

    def observe(self, narrative_id: str, at: datetime, now: datetime) -> Velocity:
        """Count one hit of `narrative_id` for a post made at `at` (capped at `now`, the
        processing clock) and return the narrative's velocity including it."""
        t = min(at, now).timestamp() / 60.0
        self._first_min = t if self._first_min is None else min(self._first_min, t)
        self._last_min = t if self._last_min is None else max(self._last_min, t)
        rates = self._rates.get(narrative_id)
        if rates is None:
            rates = self._rates[narrative_id] = _Rates(at_min=t)
        if t >= rates.at_min:
            self._decay(rates, t - rates.at_min)
            rates.at_min = t
            age = 0.0
        else:  # an earlier post arriving late: counted at its own time, seen from now
            age = rates.at_min - t
        rates.fast += self.fast_lambda * math.exp(-self.fast_lambda * age)
        rates.slow += self.slow_lambda * math.exp(-self.slow_lambda * age)
        return self._velocity(rates)

    def _decay(self, rates: _Rates, minutes: float) -> None:
        rates.fast *= math.exp(-self.fast_lambda * minutes)
        rates.slow *= math.exp(-self.slow_lambda * minutes)

    def _velocity(self, rates: _Rates) -> Velocity:
        watched = (self._last_min or 0.0) - (self._first_min or 0.0)
        if watched < self.warmup_min:
            return Velocity(
                None,
                None,
                self.floor_per_min,
                note=f"warming up: {watched:.0f} of {self.warmup_min:.0f} min of posts seen",
            )
        since = max(self.warmup_min, rates.at_min - (self._first_min or 0.0), 1e-6)
        fast = rates.fast / (1.0 - math.exp(-self.fast_lambda * since))
        slow = rates.slow / (1.0 - math.exp(-self.slow_lambda * since))
        return Velocity(round(fast, 4), round(slow, 4), self.floor_per_min)
