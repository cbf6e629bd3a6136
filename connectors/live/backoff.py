"""Reconnect delays: exponential (or linear) growth, a cap, jitter, and a floor so nothing spins.

Pure: the random source is injectable. `Backoff` counts attempts since the last healthy connection.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

MIN_DELAY_S = 0.05
"""No reconnect ever happens sooner than this after the previous attempt, whatever the policy."""


@dataclass(frozen=True)
class BackoffPolicy:
    """Delay before attempt n (from 0): exponential ``initial * multiplier**n`` or linear
    ``initial * (n + 1)``, capped at `max_s`, then reduced by up to `jitter` (a fraction) at
    random so many clients do not reconnect in step."""

    initial_s: float = 1.0
    max_s: float = 60.0
    multiplier: float = 2.0
    growth: Literal["exponential", "linear"] = "exponential"
    jitter: float = 0.3

    def __post_init__(self) -> None:
        if self.initial_s <= 0 or self.max_s < self.initial_s:
            raise ValueError("backoff needs 0 < initial_s <= max_s")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        if self.growth == "linear":
            base = self.initial_s * (attempt + 1)
        else:
            base = self.initial_s * self.multiplier ** min(attempt, 64)
        capped = min(base, self.max_s)
        return max(MIN_DELAY_S, capped * (1 - self.jitter * rng()))


DEFAULT_POLICIES: dict[str, BackoffPolicy] = {
    "network": BackoffPolicy(initial_s=1.0, max_s=60.0),
    "http": BackoffPolicy(initial_s=5.0, max_s=320.0),
    "rate": BackoffPolicy(initial_s=60.0, max_s=900.0),
}


class Backoff:
    """Attempt counter per policy name. `next_delay(name, retry_after_s)` returns how long to wait
    (at least `retry_after_s` when the server said so) and counts the attempt; `reset()` after a
    connection that delivered frames."""

    def __init__(
        self,
        policies: dict[str, BackoffPolicy],
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.policies = policies
        self._rng = rng
        self._attempts: dict[str, int] = {}

    def next_delay(self, name: str, retry_after_s: float | None = None) -> float:
        policy = self.policies.get(name) or self.policies.get("network")
        policy = policy or DEFAULT_POLICIES["network"]
        attempt = self._attempts.get(name, 0)
        self._attempts[name] = attempt + 1
        delay = policy.delay(attempt, self._rng)
        if retry_after_s is not None:
            delay = max(delay if name != "rate" else MIN_DELAY_S, retry_after_s)
        return delay

    def reset(self) -> None:
        self._attempts.clear()


def scaled(
    policies: dict[str, BackoffPolicy], initial_s: float, max_s: float
) -> dict[str, BackoffPolicy]:
    """The same policies with every initial delay replaced by `initial_s` and every cap by `max_s`
    (``--reconnect-min``/``--reconnect-max``; tests use short delays)."""
    return {
        name: BackoffPolicy(
            initial_s=initial_s,
            max_s=max(max_s, initial_s),
            multiplier=policy.multiplier,
            growth=policy.growth,
            jitter=policy.jitter,
        )
        for name, policy in policies.items()
    }
