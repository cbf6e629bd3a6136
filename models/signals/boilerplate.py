"""How common a shingle is in the background: decayed counts of the shingles of posts that have
left the coordination window, so a phrase many unrelated accounts have been posting for hours
(templates, boilerplate, stock greetings) can be told from a new text that appears in a burst.

Contract: `BoilerplateCounts(buckets, half_life)` is pure and bounded: a fixed numpy array of
`buckets` float32 counters (4 bytes each; 2**21 = 8 MB), shingles hashed into it with CRC-32 (a
stable hash: the same stream gives the same counts in every process; collisions only ever raise
a count). `add(ids, at)` counts one post's distinct bucket ids at time `at`; `counts(ids, at)` reads
them, every past post weighted by ``0.5 ** (age / half_life)``. Any dates work, years apart in
either order (exponents are clamped; nothing overflows). Posts are added when they LEAVE the
window, so a campaign never makes its own text look common while it is running.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[np.int64]
_RESCALE_EXPONENT = 20.0  # about 1e6: rescale before float32 counts lose precision
_MAX_EXPONENT = 200.0  # 2**-200 is 0 in float32: older counts have decayed away entirely


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

    def _exponent(self, at: datetime) -> float:
        """Half-lives from the origin to `at` (the first time seen is the origin)."""
        if self._origin is None:
            self._origin = at
        return (at - self._origin).total_seconds() / self.half_life_s

    def add(self, ids: Ids, at: datetime) -> None:
        exponent = self._exponent(at)
        if exponent > _RESCALE_EXPONENT:  # keep float32 precision: move the origin to `at`
            # (a jump of many half-lives decays every earlier count to nothing, no overflow)
            self._counts *= np.float32(2.0 ** -min(exponent, _MAX_EXPONENT))
            self._origin, exponent = at, 0.0
        self._counts[ids] += np.float32(2.0 ** max(exponent, -_MAX_EXPONENT))

    def counts(self, ids: Ids, at: datetime) -> npt.NDArray[np.float32]:
        """Decayed number of background posts holding each of `ids`, as seen at `at` (a time
        before the origin, e.g. a back-dated post, reads the counts as of the origin)."""
        if self._origin is None or len(ids) == 0:
            return np.zeros(len(ids), dtype=np.float32)
        exponent = min(max(self._exponent(at), 0.0), _MAX_EXPONENT)
        return np.asarray(self._counts[ids] * np.float32(2.0**-exponent), dtype=np.float32)
