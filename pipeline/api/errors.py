"""The analyst service's errors; the HTTP layer maps each to one status code."""

from __future__ import annotations


class SearchError(Exception):
    """Base of the errors `HitService` raises."""


class HitNotFoundError(SearchError):
    """No hit with this id (404)."""

    def __init__(self, hit_id: str) -> None:
        self.hit_id = hit_id
        super().__init__(f"no hit with id {hit_id!r}")


class SearchUnavailableError(SearchError):
    """Elasticsearch is unreachable or overloaded (503 with Retry-After); transient."""


class ReviewConflictError(SearchError):
    """The hit changed under a review several times in a row (409); retry."""
