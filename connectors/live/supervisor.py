"""Several live sources in one process, supervised: a source that crashes (an unexpected
exception, or a run that ends with an error such as a refused token) is restarted after a backoff
and counted (``narrmon_connector_restarts``); one that ends by itself (``--once`` feeds, limits)
is left ended. `stop` stops them all; each flushes and saves its checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from connectors.live.backoff import Backoff, BackoffPolicy
from connectors.live.metrics import LiveMetrics

logger = logging.getLogger(__name__)

Spec = TypeVar("Spec")


async def supervise(
    specs: Sequence[Spec],
    run_one: Callable[[Spec, asyncio.Event], Awaitable[dict[str, Any]]],
    stop: asyncio.Event,
    *,
    name_of: Callable[[Spec], str],
    restart: BackoffPolicy,
    max_restarts: int | None = None,
    metrics: LiveMetrics | None = None,
) -> list[dict[str, Any]]:
    """Run ``run_one(spec, stop)`` for every spec concurrently, restarting crashed ones (at most
    `max_restarts` times each when given). Returns one summary per spec: its last run's result
    plus ``restarts``; a run that raised is summarised as ``{"source", "error"}``. A source stopped
    while it was still failing (a retry in progress that had read nothing when the stop came)
    keeps the error of its last failed run, so a refused token is reported whenever the stop
    lands."""

    async def keep_running(spec: Spec) -> dict[str, Any]:
        name = name_of(spec)
        backoff = Backoff({"network": restart})
        restarts = 0
        last_error: str | None = None
        while True:
            try:
                result = await run_one(spec, stop)
            except Exception as exc:
                logger.exception("source=%s crashed", name)
                result = {"source": name, "error": f"{type(exc).__name__}: {exc}"}
            result["restarts"] = restarts
            if stop.is_set() and last_error and not result.get("error") and not result.get("read"):
                result["error"] = last_error  # stopped mid-retry: still failing
            if stop.is_set() or not result.get("error"):
                return result
            last_error = str(result["error"])
            if max_restarts is not None and restarts >= max_restarts:
                logger.error("source=%s gave up after %d restarts", name, restarts)
                return result
            delay = backoff.next_delay("network")
            restarts += 1
            result["restarts"] = restarts  # as counted by the metric, should the stop come now
            if metrics is not None:
                metrics.restarts.labels(source=name).inc()
            logger.warning(
                "source=%s failed (%s); restart %d in %.1fs", name, result["error"], restarts, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            if stop.is_set():
                return result

    return list(await asyncio.gather(*(keep_running(spec) for spec in specs)))
