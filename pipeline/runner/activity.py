"""How many batches the runners of this process are processing right now.

The consumer watchdog (`pipeline.stall.watchdog`) asks it to tell a rebalance that waits for
records still being processed (a runner is busy: back-pressure, leave it alone) from one that
waits for records no runner holds any more (orphans: release them)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class BatchesInFlight:
    """A counter of batches between "taken from the stream" and "acked" (or failed)."""

    def __init__(self) -> None:
        self.count = 0

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        self.count += 1
        try:
            yield
        finally:
            self.count -= 1

    @property
    def busy(self) -> bool:
        return self.count > 0


IN_FLIGHT = BatchesInFlight()
"""The process's counter: every `pipeline.runner.batch.BatchRunner` counts into it (one worker
process runs one Faust app)."""
