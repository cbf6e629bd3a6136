"""`ShutdownDeadline`: a stop that always ends within a grace period.

Faust's graceful stop waits for the agents to finish their batch, then for the producer to
flush and the consumer to commit. With the broker or Elasticsearch gone, those waits have no
useful end (a step retried with backoff, a flush to a broker that never answers), and a worker
that ignores SIGTERM is stopped with SIGKILL by whoever supervises it, or worse, left running.
The first SIGTERM/SIGINT starts a timer on its own thread; when the grace
(``NARRMON_WORKER__SHUTDOWN_GRACE_S``, default 20 s) passes before the process exits, it runs
the clean-up callbacks (e.g. withdrawing the scrape target) and ends the process with
`EXIT_CODE`. Nothing is lost by that: the runner only acks what was delivered, so whatever the
worker had not committed is simply delivered again to the next worker (at least once, see
`pipeline.runner`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

EXIT_CODE = 143
"""What a process killed by SIGTERM reports (128 + 15)."""


class ShutdownDeadline:
    """Call `start` when a stop is requested (any thread; idempotent). After `grace_s` seconds,
    unless the process exited meanwhile, `cleanups` run (errors logged, never raised) and
    ``exit(EXIT_CODE)`` ends the process (default `os._exit`: no further clean-up can hang)."""

    def __init__(
        self,
        grace_s: float,
        *,
        cleanups: list[Callable[[], None]] | None = None,
        exit: Callable[[int], None] = os._exit,
    ) -> None:
        self.grace_s = grace_s
        self.cleanups = cleanups if cleanups is not None else []
        self._exit = exit
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._timer is not None

    def start(self) -> None:
        with self._lock:
            if self._timer is not None:
                return
            logger.info("stopping; the process ends within %.0fs whatever happens", self.grace_s)
            self._timer = threading.Timer(self.grace_s, self.expire)
            self._timer.name = "narrmon-shutdown-deadline"
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()

    def expire(self) -> None:
        """The grace is over: clean up and end the process."""
        logger.critical(
            "graceful stop did not finish within %.0fs (broker or Elasticsearch gone?); "
            "exiting now, uncommitted records will be delivered again",
            self.grace_s,
        )
        for cleanup in self.cleanups:
            try:
                cleanup()
            except Exception:
                logger.exception("clean-up before the forced exit failed")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        self._exit(EXIT_CODE)
