"""How common a shingle is in the background: decayed counts of the shingles of posts that have
left the coordination window, so a phrase many unrelated accounts have been posting for hours
(templates, boilerplate, stock greetings) can be told from a new text that appears in a burst.

Contract: `BoilerplateCounts(buckets, half_life)` is pure and bounded: a fixed numpy array of
`buckets` float32 counters (4 bytes each; 2**21 = 8 MB), shingles hashed into it with CRC-32 (a
stable hash: the same stream gives the same counts in every process; collisions only ever raise
a count). `add(ids, at)` counts one post's distinct bucket ids at time `at`; `counts(ids, at)` reads
them, every past post weighted by ``0.5 ** (age / half_life)``. Posts are added when they LEAVE the
window, so a campaign never makes its own text look common while it is running.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[np.int64]
_RESCALE_AT = 1e6


def bucket_ids(shingles: Iterable[str], buckets: int) -> Ids:
    """The distinct counter indexes of `shingles` (CRC-32 modulo `buckets`)."""
    ids = {zlib.crc32(s.encode("utf-8")) % buckets for s in shingles}
    return np.fromiter(sorted(ids), dtype=np.int64, count=len(ids))


class BoilerplateCounts:
    """Exponentially decayed background counts of hashed shingles (see the module docstring)."""

    def __init__(self, buckets: int = 2**21, half_life: timedelta = timedelta(hours=1)) -> None:
        if buckets < 1 or half_life <= timedelta(0):
            raise ValueError("buckets must be >= 1 and half_life positive")
        self.buckets = buckets
        self.half_life_s = half_life.total_seconds()
        self._counts = np.zeros(buckets, dtype=np.float32)
        self._origin: datetime | None = None

    def _weight(self, at: datetime) -> float:
        """Weight of a post at `at`, relative to the origin (grows with time; rescaled)."""
        if self._origin is None:
            self._origin = at
        return float(2.0 ** ((at - self._origin).total_seconds() / self.half_life_s))

    def add(self, ids: Ids, at: datetime) -> None:
        weight = self._weight(at)
        if weight > _RESCALE_AT:  # keep float32 precision: move the origin to `at`
            self._counts /= np.float32(weight)
            self._origin, weight = at, 1.0
        self._counts[ids] += np.float32(weight)

    def counts(self, ids: Ids, at: datetime) -> npt.NDArray[np.float32]:
        """Decayed number of background posts holding each of `ids`, as seen at `at`."""
        if self._origin is None or len(ids) == 0:
            return np.zeros(len(ids), dtype=np.float32)
        return np.asarray(self._counts[ids] / np.float32(self._weight(at)), dtype=np.float32)
