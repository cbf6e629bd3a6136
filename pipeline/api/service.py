"""`HitService`: the one code path for searching and reviewing hits, used by the HTTP API and the
CLI alike. Blocking (the sync Elasticsearch client); FastAPI runs it in its thread pool.

Reads live here; reviews and their audit trail live in `pipeline.api.review_service` (this class
delegates to it). Raises `pipeline.api.errors` exceptions, `ParamError` for bad cursors, and the
translated Elasticsearch errors of `pipeline.elastic.errors` (`ElasticNotFound`,
`ElasticUnavailable`), so callers never import the ES client.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from models.catalog import Catalog
from pipeline.api import queries, results
from pipeline.api.narratives import narrative_rows, with_review_stats
from pipeline.api.params import HitFilters, Interval, decode_cursor, encode_cursor
from pipeline.api.review_service import ReviewService
from pipeline.api.reviews import ReviewPublisher
from pipeline.api.signals import SignalService
from pipeline.api.transparency import public_explanation
from pipeline.elastic import search as elastic
from pipeline.elastic.hits import review_of
from pipeline.elastic.review_stats import read_review_stats
from pipeline.elastic.schema.names import hits_read_alias
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.elastic.client import Client

logger = logging.getLogger(__name__)


class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str]) -> Any:
        """Normalised embeddings, one row per text (a numpy array or nested lists)."""


def default_catalog_path(settings: Settings) -> Path:
    """``catalog.path``, or the folder of example catalogs shipped in `models` when unset."""
    import models

    return settings.catalog.path or Path(models.__file__).parent / "catalogs"


class HitService:
    """Search, aggregate, explain and review hits. Cheap to build; the embedding model and the
    catalog are loaded on first use, once per service."""

    def __init__(
        self,
        client: Client,
        settings: Settings,
        publisher: ReviewPublisher | None = None,
        encoder: TextEncoder | None = None,
        catalog_loader: Callable[[], Catalog] | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.reviews = ReviewService(client, settings, publisher)
        self._encoder = encoder
        self._catalog_loader = catalog_loader
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()
        self.read_index = hits_read_alias(settings)

    @property
    def publisher(self) -> ReviewPublisher | None:
        return self.reviews.publisher

    def search(
        self,
        filters: HitFilters,
        sort: str = "relevance",
        size: int = 20,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One page of hits with highlights; ``next`` is the cursor of the following page (None
        on the last page). Raises `ParamError` for a bad cursor, `ElasticUnavailable`."""
        after = decode_cursor(cursor, sort) if cursor else None
        body = queries.search_body(filters, sort, size, after)
        response = elastic.search(self.client, self.read_index, **body)
        es_hits = response["hits"]["hits"]
        total = response["hits"]["total"]
        more = len(es_hits) == size and es_hits
        return {
            "total": total["value"],
            "total_relation": total["relation"],
            "hits": [results.read_hit(h) for h in es_hits],
            "next": encode_cursor(sort, es_hits[-1]["sort"]) if more else None,
        }

    def aggregations(self, filters: HitFilters, interval: Interval, top: int) -> dict[str, Any]:
        body = queries.aggregations_body(filters, interval, top)
        return results.read_aggregations(elastic.search(self.client, self.read_index, **body))

    def _embed(self, text: str) -> list[float]:
        with self._lock:
            if self._encoder is None:
                from pipeline.embedding import embedder_from_settings

                self._encoder = embedder_from_settings(self.settings)
            encoder = self._encoder
        row = encoder.encode([text])[0]
        return [float(x) for x in row]

    def similar(self, text: str, size: int, filters: HitFilters | None = None) -> dict[str, Any]:
        """Hits whose post embedding is nearest to `text`'s (cosine, kNN on ``embedding``)."""
        vector = self._embed(text)
        body = queries.knn_body(vector, size, filters or HitFilters())
        response = elastic.search(self.client, self.read_index, **body)
        return {"hits": [results.read_hit(h) for h in response["hits"]["hits"]]}

    def set_catalog(self, catalog: Catalog) -> None:
        """Serve `catalog` from now on (the live catalog: `pipeline.live_catalog`)."""
        with self._lock:
            previous = self._catalog.version if self._catalog is not None else None
            self._catalog = catalog
        logger.info("API catalog: %s -> %s", previous, catalog.version)

    def catalog(self) -> Catalog:
        with self._lock:
            if self._catalog is None:
                if self._catalog_loader is not None:
                    self._catalog = self._catalog_loader()
                else:
                    from models.catalog import load_catalog

                    path = default_catalog_path(self.settings)
                    self._catalog = load_catalog(path, self.settings.cache_dir)
            return self._catalog

    def narratives(self, days: int = 14, now: datetime | None = None) -> dict[str, Any]:
        """Every catalog narrative (plus any seen in hits but no longer in the catalog) with its
        hit count, per-day counts over the last `days` days and review-based precision."""
        now = now or datetime.now(UTC)
        body = queries.narratives_body(days, now)
        counts = results.read_narrative_counts(elastic.search(self.client, self.read_index, **body))
        rows = narrative_rows(self.catalog(), counts, days, now)
        return with_review_stats(rows, read_review_stats(self.client, self.settings))

    def history(self, hit_id: str) -> list[dict[str, Any]]:
        """The audit trail of `hit_id`, oldest first (reconciled, see `pipeline.elastic.audit`)."""
        return self.reviews.history(hit_id)

    def get_hit(self, hit_id: str) -> dict[str, Any]:
        """The full hit (without the embedding vector), its review and its review history."""
        found = elastic.locate(self.client, self.read_index, hit_id)
        source = dict(found["_source"])
        embedding = source.pop("embedding", None)
        return {
            "id": hit_id,
            "index": found["_index"],
            "hit": source,
            "has_embedding": embedding is not None,
            "review": review_of(source),
            "history": self.reviews.history(hit_id, review_of(source)),
            # joined at read time: the groups the post belongs to (`pipeline.api.signals`)
            "coordination": SignalService(self.client, self.settings).groups_of_post(
                source["post"]["id"]
            ),
        }

    def explanation(self, hit_id: str) -> dict[str, Any]:
        """The public explanation of `hit_id` (`pipeline.api.transparency`)."""
        found = elastic.locate(self.client, self.read_index, hit_id)
        source = found["_source"]
        return public_explanation(source, review_of(source), self._catalog_entry(source))

    def with_public_explanation(self, source: dict[str, Any]) -> dict[str, Any]:
        """`source` (an exported hit) plus its ``public_explanation``."""
        public = public_explanation(source, review_of(source), self._catalog_entry(source))
        return {**source, "public_explanation": public}

    def _catalog_entry(self, source: dict[str, Any]) -> dict[str, Any] | None:
        """The catalog's ``why_tracked`` and ``fact_checks`` of the hit's narrative, for hits
        indexed before those travelled with hits; None when not needed or not known."""
        narrative = source.get("narrative") or {}
        if narrative.get("why_tracked") and narrative.get("fact_checks"):
            return None
        try:
            entry = self.catalog().get(str(narrative.get("id")))
        except KeyError:
            return None
        except Exception as exc:  # an unusable catalog is preflight's error, not this hit's
            logger.warning("catalog does not load for an explanation: %s", exc)
            return None
        return entry.model_dump(mode="json", include={"why_tracked", "fact_checks"})

    def review(
        self, hit_id: str, label: str, note: str | None, reviewer: str, via: str = "api"
    ) -> dict[str, Any]:
        """See `ReviewService.review`."""
        return self.reviews.review(hit_id, label, note, reviewer, via)

    def export(self, filters: HitFilters, limit: int, page: int = 500) -> Iterator[dict[str, Any]]:
        """Hits matching `filters`, newest first, at most `limit`, as ``_source`` dicts without
        the embedding and the raw payload. The first page is fetched eagerly (so an unreachable
        cluster raises before anything is streamed); the rest lazily."""
        first = self._export_page(filters, min(page, limit), None)

        def rows() -> Iterator[dict[str, Any]]:
            sent, batch = 0, first
            while batch:
                for es_hit in batch:
                    if sent >= limit:
                        return
                    sent += 1
                    yield es_hit["_source"]
                if len(batch) < page or sent >= limit:
                    return
                batch = self._export_page(filters, min(page, limit - sent), batch[-1]["sort"])

        return rows()

    def _export_page(
        self, filters: HitFilters, size: int, after: list[Any] | None
    ) -> list[dict[str, Any]]:
        body = queries.search_body(filters, "newest", size, after)
        body.pop("highlight")
        body["track_total_hits"] = False
        return list(elastic.search(self.client, self.read_index, **body)["hits"]["hits"])
