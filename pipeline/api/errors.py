"""The analyst service's own errors; the HTTP layer maps each to one status code.

Elasticsearch failures are `pipeline.elastic.errors` exceptions (`ElasticNotFound`: 404,
`ElasticUnavailable`: 503 with Retry-After); only what is about reviewing itself lives here."""

from __future__ import annotations


class SearchError(Exception):
    """Base of the errors `HitService` raises."""


class ReviewConflictError(SearchError):
    """The hit changed under a review several times in a row (409); retry."""


class IntakeUnavailable(Exception):  # noqa: N818 - names the contract
    """Posts sent to the API could not be stored on the posts topic (Kafka unreachable or the
    delivery not acknowledged in time): answered 503 with Retry-After; the caller sends again
    (post ids are stable, so a post that did get through is not duplicated)."""
