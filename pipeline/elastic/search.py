"""The analyst service's boundary to Elasticsearch: translated errors and tolerant reads.

Everything here is blocking (the sync client). Elasticsearch exceptions that mean "try later"
become `SearchUnavailableError`; callers above this module never import the ES client's errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from pipeline.api.errors import HitNotFoundError, SearchUnavailableError

UNAVAILABLE_STATUSES = frozenset({429, 502, 503, 504})


@contextmanager
def translated() -> Iterator[None]:
    """Raise `SearchUnavailableError` (from the ES error) for overload answers and unreachable
    clusters; other API errors (bad request, conflict) pass through unchanged."""
    try:
        yield
    except ApiError as exc:
        if exc.meta.status in UNAVAILABLE_STATUSES:
            raise SearchUnavailableError(f"elasticsearch answered {exc.meta.status}") from exc
        raise
    except TransportError as exc:  # connection refused, timeouts
        raise SearchUnavailableError(f"elasticsearch unreachable: {exc}") from exc


def search(client: Elasticsearch, index: str, **body: Any) -> dict[str, Any]:
    """One search; a missing index reads as empty (no hit was ever indexed)."""
    with translated():
        response = client.search(
            index=index, ignore_unavailable=True, allow_no_indices=True, **body
        )
    return dict(response)


def locate(client: Elasticsearch, index: str, hit_id: str) -> dict[str, Any]:
    """The ES hit (with ``_index``, ``_seq_no``, ``_primary_term``) for `hit_id`, newest indexed
    first when a rollover left copies. Raises `HitNotFoundError`, `SearchUnavailableError`."""
    response = search(
        client,
        index,
        query={"ids": {"values": [hit_id]}},
        size=1,
        seq_no_primary_term=True,
        sort=[{"indexed_at": "desc"}],
    )
    found = response["hits"]["hits"]
    if not found:
        raise HitNotFoundError(hit_id)
    return dict(found[0])
