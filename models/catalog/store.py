"""The catalog in use by a long-running process, reloaded only when the new one is valid."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from models.catalog.loading import load_catalog
from models.catalog.schema import Catalog, CatalogError

logger = logging.getLogger(__name__)


class CatalogStore:
    """Holds the catalog in use. `reload()` replaces it only with a valid catalog.

    Thread-safe: readers call `current` and get one consistent `Catalog`.
    """

    def __init__(self, path: Path, cache_dir: Path | None = None) -> None:
        self.path = Path(path)
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._current = load_catalog(self.path, cache_dir)
        self.last_error: CatalogError | None = None

    @property
    def current(self) -> Catalog:
        return self._current

    def reload(self) -> bool:
        """Re-read the catalog. True if a new version was installed; False if unchanged or
        invalid (then the old catalog stays and `last_error` says why)."""
        try:
            fresh = load_catalog(self.path, self.cache_dir)
        except CatalogError as exc:
            logger.error("catalog %s invalid, keeping version %s: %s", self.path,
                         self._current.version, exc)  # fmt: skip
            self.last_error = exc
            return False
        self.last_error = None
        with self._lock:
            if fresh.version == self._current.version:
                return False
            logger.info("catalog %s: version %s -> %s", self.path, self._current.version,
                        fresh.version)  # fmt: skip
            self._current = fresh
        return True


__all__ = ["CatalogStore"]
