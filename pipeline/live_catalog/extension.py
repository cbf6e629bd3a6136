"""Wire the live catalog into a worker: the `Extension` that `pipeline.worker` runs.

With ``catalog.follow`` (default) a `CatalogFollower` reads the catalog topic; with
``catalog.watch`` a `FileWatch` re-reads ``catalog.path``. Each catalog they deliver goes through
one `CatalogSwitch` on the worker's `MatcherHolder` (built on the model thread), then the
``narrmon_catalog_info`` and narrative metrics follow. The readers start with the Faust app and
stop with it (a `mode.Service`); nothing runs when the extension is installed.
"""

from __future__ import annotations

import logging
from typing import Any

from models.catalog import Catalog, CatalogError
from pipeline.agents.deps import WorkerDeps
from pipeline.agents.matcher import publish_matcher_info
from pipeline.live_catalog.follower import CatalogFollower, FileWatch
from pipeline.live_catalog.holder import CatalogSwitch

logger = logging.getLogger(__name__)


def catalog_readers(deps: WorkerDeps) -> list[CatalogFollower | FileWatch]:
    """The readers ``deps.settings.catalog`` asks for, delivering to one switch (not started)."""
    settings, metrics = deps.settings, deps.metrics
    switch = CatalogSwitch(
        deps.matchers, deps.model_executor, lambda m: publish_matcher_info(m, metrics)
    )

    def on_catalog(catalog: Catalog) -> None:
        try:
            switched = switch.apply(catalog)
        except Exception:
            metrics.catalog_updates.labels(outcome="failed").inc()
            raise
        metrics.catalog_updates.labels(outcome="switched" if switched else "unchanged").inc()

    def on_refused(_exc: CatalogError) -> None:
        metrics.catalog_updates.labels(outcome="refused").inc()

    readers: list[CatalogFollower | FileWatch] = []
    if settings.catalog.follow:
        readers.append(CatalogFollower(settings, on_catalog, on_refused))
    if settings.catalog.watch and settings.catalog.path is not None:
        readers.append(
            FileWatch(
                settings.catalog.path,
                on_catalog,
                on_refused,
                settings.catalog.watch_interval_s,
                settings.cache_dir,
            )
        )
    return readers


def live_catalog_extension(app: Any, deps: WorkerDeps) -> None:
    """Register a service on `app` that runs the catalog readers while the app runs."""
    import mode

    readers = catalog_readers(deps)
    if not readers:
        return

    class LiveCatalog(mode.Service):  # type: ignore[misc]
        async def on_start(self) -> None:
            for reader in readers:
                reader.start()

        async def on_stop(self) -> None:
            for reader in readers:
                await self.loop.run_in_executor(None, reader.stop)

    app.service(LiveCatalog)
