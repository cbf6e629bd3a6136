"""Background readers that hand new catalogs to a callback: `CatalogFollower` (the catalog topic)
and `FileWatch` (``catalog.path``).

Both run one daemon thread each, never the event loop, and call ``on_catalog(catalog)`` on that
thread with catalogs that passed validation; the callback decides whether the version is new
(`pipeline.live_catalog.holder.CatalogSwitch`). An invalid catalog is logged with every
``file:line: field`` problem (``last_error``) and skipped: the catalog in use stays. A callback
that raises is logged and the reader carries on.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.catalog import Catalog, CatalogError, catalog_from_message, load_catalog
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

CatalogCallback = Callable[[Catalog], None]
RefusalCallback = Callable[[CatalogError], None]


class _Reader:
    """A stoppable daemon thread that calls `_run` until `stop()`."""

    name = "narrmon-catalog"

    def __init__(self, on_catalog: CatalogCallback, on_refused: RefusalCallback | None) -> None:
        self.on_catalog = on_catalog
        self.on_refused = on_refused
        self.last_error: CatalogError | None = None
        self.delivered = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._guarded, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _guarded(self) -> None:
        while not self._stop.is_set():
            try:
                self._run()
            except Exception:
                logger.exception("%s failed; retrying in 5 s", self.name)
                self._stop.wait(5.0)

    def _run(self) -> None:
        raise NotImplementedError

    def _deliver(self, catalog: Catalog) -> None:
        try:
            self.on_catalog(catalog)
            self.delivered += 1
        except Exception:
            logger.exception("catalog %s version %s not applied", catalog.name, catalog.version)

    def _refuse(self, exc: CatalogError, origin: str) -> None:
        self.last_error = exc
        logger.error("catalog from %s refused, keeping the one in use: %s", origin, exc)
        if self.on_refused is not None:
            self.on_refused(exc)


class CatalogFollower(_Reader):
    """Follows the compacted catalog topic (``settings.topics.catalog``), creating it when
    missing. Reads from the oldest retained record; delivers only the LAST catalog once it has
    reached the end offset seen at start (`caught_up` is set then), and each catalog after that.
    Joins no consumer group and commits nothing: every process reads every catalog."""

    name = "narrmon-catalog-follower"

    def __init__(
        self,
        settings: Settings,
        on_catalog: CatalogCallback,
        on_refused: RefusalCallback | None = None,
        poll_s: float = 1.0,
    ) -> None:
        super().__init__(on_catalog, on_refused)
        self.settings = settings
        self.poll_s = poll_s
        self.caught_up = threading.Event()

    def _run(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        from pipeline.kafka_security import kafka_python_options
        from pipeline.live_catalog.topic import ensure_catalog_topic

        ensure_catalog_topic(self.settings)
        topic = self.settings.topics.catalog
        consumer: Any = KafkaConsumer(
            bootstrap_servers=self.settings.kafka.bootstrap.split(","),
            client_id=self.name,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=64 * 1024 * 1024,
            **kafka_python_options(self.settings.kafka.security),
        )
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            end = consumer.end_offsets([tp])[tp]
            pending: Catalog | None = None
            while not self._stop.is_set():
                for records in consumer.poll(timeout_ms=int(self.poll_s * 1000)).values():
                    for record in records:
                        where = f"{topic}@{record.offset}"
                        try:
                            pending = catalog_from_message(record.value or b"", where)
                        except CatalogError as exc:
                            self._refuse(exc, where)
                if not self.caught_up.is_set() and consumer.position(tp) >= end:
                    self.caught_up.set()
                if self.caught_up.is_set() and pending is not None:
                    self._deliver(pending)
                    pending = None
        finally:
            consumer.close()


def _signature(path: Path) -> str:
    """A content hash of the catalog file, or of every YAML file of a catalog folder."""
    digest = hashlib.sha256()
    files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file).encode())
        try:
            digest.update(file.read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()


class FileWatch(_Reader):
    """Re-reads the catalog at `path` whenever its content changes (polled every `interval_s`;
    the first look only records the content, it is what the process started with)."""

    name = "narrmon-catalog-watch"

    def __init__(
        self,
        path: Path,
        on_catalog: CatalogCallback,
        on_refused: RefusalCallback | None = None,
        interval_s: float = 2.0,
        cache_dir: Path | None = None,
    ) -> None:
        super().__init__(on_catalog, on_refused)
        self.path = Path(path)
        self.interval_s = interval_s
        self.cache_dir = cache_dir

    def _run(self) -> None:
        seen = _signature(self.path)
        while not self._stop.wait(self.interval_s):
            now = _signature(self.path)
            if now == seen:
                continue
            seen = now
            try:
                catalog = load_catalog(self.path, self.cache_dir)
            except CatalogError as exc:
                self._refuse(exc, str(self.path))
                continue
            self.last_error = None
            self._deliver(catalog)
