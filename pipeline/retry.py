"""How long to wait before retrying a transient failure. Pure.

Used by the batch runner (`pipeline.runner`) when a step raises `pipeline.errors.TransientError`.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(
    attempt: int,
    *,
    base_s: float = 0.5,
    cap_s: float = 30.0,
    jitter: float = 0.2,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): ``base * 2**attempt``, capped at
    ``cap_s``, then spread by +-``jitter`` (a fraction) so workers do not retry in lockstep."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    delay = min(cap_s, base_s * (2.0 ** min(attempt, 32)))
    spread = delay * jitter * (2 * rand() - 1)
    return max(0.0, min(cap_s, delay + spread))
