"""The swappable matcher of a worker and the switch that replaces it.

`MatcherHolder` is the one mutable thing in the frozen `pipeline.agents.deps.WorkerDeps`: the
match step reads `current` ONCE per batch, so a swap lands between batches and a batch is matched
against one catalog from start to end. Replacing a reference is atomic in Python; the lock only
orders concurrent swaps.

`CatalogSwitch.apply` builds the new matcher with ``with_catalog`` (sharing the loaded embedding
model, so only the new exemplars are embedded) and warms it up ON THE MODEL THREAD, the single
thread that runs inference (`pipeline.agents.deps.model_executor`): the build queues behind the
batch in flight instead of competing with it for the cores, and the event loop never waits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Protocol, runtime_checkable

from models.catalog import Catalog
from models.matching import Matcher

logger = logging.getLogger(__name__)


@runtime_checkable
class RebuildableMatcher(Protocol):
    """A matcher that can make a sibling for another catalog on the same model
    (`models.matching.matcher.NarrativeMatcher.with_catalog`)."""

    def with_catalog(self, catalog: Catalog) -> Matcher: ...


class MatcherHolder:
    """Holds the matcher in use; thread-safe."""

    def __init__(self, matcher: Matcher) -> None:
        self._current = matcher
        self._lock = threading.Lock()

    @property
    def current(self) -> Matcher:
        return self._current

    def swap(self, matcher: Matcher) -> Matcher:
        """Install `matcher`; returns the one it replaced."""
        with self._lock:
            previous, self._current = self._current, matcher
        return previous


class CatalogSwitch:
    """Switches a `MatcherHolder` to a new catalog. `on_switched(matcher)` runs after the swap
    (metrics). Blocking: call from a background thread, never from the event loop."""

    def __init__(
        self,
        holder: MatcherHolder,
        executor: Executor,
        on_switched: Callable[[Matcher], None] = lambda _m: None,
    ) -> None:
        self.holder = holder
        self.executor = executor
        self.on_switched = on_switched
        self._lock = threading.Lock()

    def apply(self, catalog: Catalog) -> bool:
        """Switch to `catalog` unless it is the version in use; True when switched. Raises what
        building or warming up the new matcher raises (the old one stays in use)."""
        with self._lock:
            current = self.holder.current
            if catalog.version == current.catalog_version:
                logger.info("catalog version %s already in use", catalog.version)
                return False
            if not isinstance(current, RebuildableMatcher):
                logger.warning("matcher %r cannot switch catalogs; keeping it", current)
                return False

            def build() -> Matcher:
                fresh = current.with_catalog(catalog)
                fresh.warm_up()
                return fresh

            fresh = self.executor.submit(build).result()
            self.holder.swap(fresh)
            logger.info(
                "catalog switched: %s -> %s (%d narratives)",
                current.catalog_version, fresh.catalog_version, len(fresh.narratives()),
            )  # fmt: skip
            self.on_switched(fresh)
            return True
