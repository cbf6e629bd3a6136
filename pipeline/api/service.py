"""`HitService`: the one code path for searching and reviewing hits, used by the HTTP API and the
CLI alike. Blocking (the sync Elasticsearch client); FastAPI runs it in its thread pool.

Raises only `pipeline.api.errors` exceptions (and `ParamError` for bad cursors): Elasticsearch
exceptions are translated at this boundary, so callers never import the ES client.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from elasticsearch import ApiError, ConflictError, Elasticsearch, TransportError

from models.catalog import Catalog
from pipeline.api import queries
from pipeline.api.errors import HitNotFoundError, ReviewConflictError, SearchUnavailableError
from pipeline.api.params import HitFilters, Interval, decode_cursor, encode_cursor
from pipeline.api.reviews import ReviewEvent, ReviewPublisher, audit_entry, review_block
from pipeline.index import audit_index, ensure_audit_index, hits_read_alias
from pipeline.index.document import review_of
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

_UNAVAILABLE_STATUSES = {429, 502, 503, 504}


class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str]) -> Any:
        """Normalised embeddings, one row per text (a numpy array or nested lists)."""


def default_catalog_path(settings: Settings) -> Path:
    import models

    return settings.catalog.path or Path(models.__file__).parent / "catalogs"


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except ApiError as exc:
        if exc.meta.status in _UNAVAILABLE_STATUSES:
            raise SearchUnavailableError(f"elasticsearch answered {exc.meta.status}") from exc
        raise
    except TransportError as exc:  # connection refused, timeouts
        raise SearchUnavailableError(f"elasticsearch unreachable: {exc}") from exc


class HitService:
    """Search, aggregate, explain and review hits. Cheap to build; the embedding model and the
    catalog are loaded on first use, once per service."""

    def __init__(
        self,
        client: Elasticsearch,
        settings: Settings,
        publisher: ReviewPublisher | None = None,
        encoder: TextEncoder | None = None,
        catalog_loader: Callable[[], Catalog] | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.publisher = publisher
        self._encoder = encoder
        self._catalog_loader = catalog_loader
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()
        self.read_index = hits_read_alias(settings)
        self.audit_index = audit_index(settings)
        self._audit_ready = False

    # -- reads ------------------------------------------------------------------------------

    def _search(self, index: str, **body: Any) -> dict[str, Any]:
        """One search; a missing index reads as empty (no hit was ever indexed)."""
        with _translated():
            response = self.client.search(
                index=index, ignore_unavailable=True, allow_no_indices=True, **body
            )
        return dict(response)

    def search(
        self,
        filters: HitFilters,
        sort: str = "relevance",
        size: int = 20,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One page of hits with highlights; ``next`` is the cursor of the following page (None
        on the last page). Raises `ParamError` for a bad cursor, `SearchUnavailableError`."""
        after = decode_cursor(cursor, sort) if cursor else None
        body = queries.search_body(filters, sort, size, after)
        with _translated():
            response = self._search(self.read_index, **body)
        es_hits = response["hits"]["hits"]
        total = response["hits"]["total"]
        more = len(es_hits) == size and es_hits
        return {
            "total": total["value"],
            "total_relation": total["relation"],
            "hits": [queries.read_hit(h) for h in es_hits],
            "next": encode_cursor(sort, es_hits[-1]["sort"]) if more else None,
        }

    def aggregations(self, filters: HitFilters, interval: Interval, top: int) -> dict[str, Any]:
        with _translated():
            response = self._search(
                self.read_index,
                **queries.aggregations_body(filters, interval, top),
            )
        return queries.read_aggregations(response)

    def _embed(self, text: str) -> list[float]:
        with self._lock:
            if self._encoder is None:
                from models.embedder import Embedder

                model = self.settings.model
                self._encoder = Embedder(model.path, device=model.device)
            encoder = self._encoder
        row = encoder.encode([text])[0]
        return [float(x) for x in row]

    def similar(self, text: str, size: int, filters: HitFilters | None = None) -> dict[str, Any]:
        """Hits whose post embedding is nearest to `text`'s (cosine, kNN on ``embedding``)."""
        vector = self._embed(text)
        with _translated():
            response = self._search(
                self.read_index,
                **queries.knn_body(vector, size, filters or HitFilters()),
            )
        return {"hits": [queries.read_hit(h) for h in response["hits"]["hits"]]}

    def catalog(self) -> Catalog:
        with self._lock:
            if self._catalog is None:
                if self._catalog_loader is not None:
                    self._catalog = self._catalog_loader()
                else:
                    from models.catalog_io import load_catalog

                    path = default_catalog_path(self.settings)
                    self._catalog = load_catalog(path, self.settings.cache_dir)
            return self._catalog

    def narratives(self, days: int = 14, now: datetime | None = None) -> dict[str, Any]:
        """Every catalog narrative (plus any seen in hits but no longer in the catalog) with its
        hit count and per-day counts over the last `days` days."""
        now = now or datetime.now(UTC)
        with _translated():
            response = self._search(self.read_index, **queries.narratives_body(days, now))
        counts = queries.read_narrative_counts(response)
        catalog = self.catalog()
        rows = []
        for narrative in catalog.narratives:
            seen = counts.pop(narrative.id, None) or {"count": 0, "last_seen": None, "trend": []}
            rows.append(
                {
                    "id": narrative.id,
                    "title": narrative.title,
                    "summary": narrative.summary,
                    "severity": narrative.severity,
                    "verdict": narrative.verdict,
                    "status": narrative.status,
                    "tags": list(narrative.tags),
                    "in_catalog": True,
                    "count": seen["count"],
                    "last_seen": seen["last_seen"],
                    "trend": seen["trend"] or _zero_trend(days, now),
                }
            )
        for narrative_id, seen in sorted(counts.items()):
            rows.append(
                {
                    "id": narrative_id,
                    "title": seen["title"],
                    "summary": "",
                    "severity": seen["severity"],
                    "verdict": None,
                    "status": "unknown",
                    "tags": [],
                    "in_catalog": False,
                    "count": seen["count"],
                    "last_seen": seen["last_seen"],
                    "trend": seen["trend"] or _zero_trend(days, now),
                }
            )
        rows.sort(key=lambda r: (-r["count"], r["id"]))
        return {"catalog": catalog.name, "catalog_version": catalog.version, "narratives": rows}

    def _locate(self, hit_id: str) -> dict[str, Any]:
        """The ES hit (with ``_index``, ``_seq_no``, ``_primary_term``) for `hit_id`."""
        with _translated():
            response = self._search(
                self.read_index,
                query={"ids": {"values": [hit_id]}},
                size=1,
                seq_no_primary_term=True,
                sort=[{"indexed_at": "desc"}],
            )
        found = response["hits"]["hits"]
        if not found:
            raise HitNotFoundError(hit_id)
        return dict(found[0])

    def history(self, hit_id: str) -> list[dict[str, Any]]:
        """The audit entries of `hit_id`, oldest first."""
        with _translated():
            response = self._search(
                self.audit_index,
                query={"term": {"hit_id": hit_id}},
                sort=[{"at": "asc"}],
                size=200,
            )
        return [h["_source"] for h in response["hits"]["hits"]]

    def get_hit(self, hit_id: str) -> dict[str, Any]:
        """The full hit (without the embedding vector), its review and its review history."""
        found = self._locate(hit_id)
        source = dict(found["_source"])
        embedding = source.pop("embedding", None)
        return {
            "id": hit_id,
            "index": found["_index"],
            "hit": source,
            "has_embedding": embedding is not None,
            "review": review_of(source),
            "history": self.history(hit_id),
        }

    # -- writes ----------------------------------------------------------------------------

    def review(
        self, hit_id: str, label: str, note: str | None, reviewer: str, via: str = "api"
    ) -> dict[str, Any]:
        """Set the review of `hit_id`, append the audit entry, publish the `ReviewEvent`.

        The update is conditional on the version read (optimistic concurrency), so the audit's
        ``before`` is exactly what was replaced; retried 3 times, then `ReviewConflictError`. The
        event is published after Elasticsearch accepted the review; if Kafka fails the review stands
        and ``published`` is False (logged)."""
        for _attempt in range(3):
            found = self._locate(hit_id)
            before = review_of(found["_source"])
            now = datetime.now(UTC)
            after = review_block(label, reviewer, now, note)
            try:
                with _translated():
                    self.client.update(
                        index=found["_index"],
                        id=hit_id,
                        doc={"review": after},
                        if_seq_no=found["_seq_no"],
                        if_primary_term=found["_primary_term"],
                        refresh="wait_for",
                    )
                break
            except ConflictError:
                logger.info("review of %s raced another write; retrying", hit_id)
        else:
            raise ReviewConflictError(f"hit {hit_id!r} kept changing during review")
        entry = audit_entry(
            hit_id, found["_index"], found["_source"], before=before, after=after, via=via
        )
        audit_id = uuid.uuid4().hex
        with _translated():
            if not self._audit_ready:  # its strict mapping, not a dynamic one on first write
                ensure_audit_index(self.client, self.settings)
                self._audit_ready = True
            self.client.index(
                index=self.audit_index, id=audit_id, document=entry, refresh="wait_for"
            )
        published = self._publish(
            source=found["_source"], hit_id=hit_id, label=label, before=before, after=after, at=now
        )
        return {
            "hit_id": hit_id,
            "review": after,
            "previous": before,
            "audit_id": audit_id,
            "published": published,
        }

    def _publish(
        self,
        *,
        source: dict[str, Any],
        hit_id: str,
        label: str,
        before: dict[str, Any],
        after: dict[str, Any],
        at: datetime,
    ) -> bool:
        if self.publisher is None:
            return False
        event = ReviewEvent(
            hit_id=hit_id,
            narrative_id=(source.get("narrative") or {}).get("id"),
            post_id=(source.get("post") or {}).get("id"),
            label=label,
            previous_state=before["state"],
            reviewer=after["reviewer"],
            note=after["note"],
            reviewed_at=at,
        )
        try:
            self.publisher.publish(event)
        except Exception:
            logger.exception("review of %s stored but not published to Kafka", hit_id)
            return False
        return True

    # -- export ----------------------------------------------------------------------------

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
        with _translated():
            response = self._search(self.read_index, **body)
        return list(response["hits"]["hits"])


def _zero_trend(days: int, now: datetime) -> list[dict[str, Any]]:
    start = now - timedelta(days=days - 1)
    return [
        {"day": (start + timedelta(days=i)).date().isoformat(), "count": 0} for i in range(days)
    ]
