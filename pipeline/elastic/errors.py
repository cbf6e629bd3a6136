"""Elasticsearch failures in narrmon's terms, decided in one place.

- `ElasticError` (a `pipeline.errors.PipelineError`): root of what this package raises on purpose.
- `ElasticUnavailable` (also a `pipeline.errors.TransientError`): try again later, with backoff.
  No connection, a timeout, 429 Too Many Requests, any 5xx, and the error types in
  `TRANSIENT_TYPES` (a missing write index an operator will restore, a full queue, a cluster
  block...). The worker retries without acknowledging; the analyst API answers 503.
- `ElasticRejected`: a 4xx that retrying will not fix (a mapping conflict, a parse error, a bad
  query). A hit refused this way is dead-lettered (``index_rejected``), never retried.
  `ElasticConflict` is the 409 of a conditional write that lost a race.
- `ElasticNotFound`: the document asked for does not exist (the analyst API answers 404).
- `IndexSchemaError`: the cluster's template or indices cannot take our documents (e.g. other
  embedding dims). Not transient: an operator runs ``narrmon index migrate`` or fixes settings.

`classify_status` is the one rule; `classify_bulk_item` applies it to one item of a bulk response
and `translated` to an exception the client raised for a whole request (``raise ... from exc``).
Nothing outside `pipeline.elastic` needs the client library's exception types.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from pipeline.errors import PipelineError, TransientError

ItemOutcome = Literal["created", "duplicate", "transient", "permanent"]

TRANSIENT_TYPES = frozenset(
    {
        "index_not_found_exception",  # alias or template gone: an operator will restore it
        "es_rejected_execution_exception",
        "cluster_block_exception",
        "unavailable_shards_exception",
        "no_shard_available_action_exception",
        "circuit_breaking_exception",
        "process_cluster_event_timeout_exception",
    }
)


class ElasticError(PipelineError):
    """Root of the Elasticsearch errors narrmon raises."""


class ElasticUnavailable(ElasticError, TransientError):  # noqa: N818 - names the contract
    """Elasticsearch is unreachable, overloaded or briefly unable to write: retry with backoff."""


class ElasticRejected(ElasticError):  # noqa: N818 - names the contract
    """Elasticsearch refused the request for a reason retrying will not fix."""


class ElasticConflict(ElasticRejected):
    """A conditional write (``if_seq_no``/``if_primary_term``) found a newer version (409)."""


class ElasticNotFound(ElasticError):  # noqa: N818 - names the contract
    """The document asked for does not exist."""


class IndexSchemaError(ElasticError):
    """The cluster's hits template or indices cannot take our documents (e.g. embedding dims
    differ). Not transient: an operator must run ``narrmon index migrate`` or fix settings."""


def classify_status(
    status: int, error_type: str | None = None, result: str | None = None
) -> ItemOutcome:
    """Classify one bulk item (or one whole request) by HTTP status, ES error type and, for
    successes, the item's ``result``. A 2xx whose result is not ``created`` (an upsert that found
    the document: ``updated`` or ``noop``) or a 409 means the hit was already indexed by an
    earlier delivery, which is success."""
    if 200 <= status < 300:
        if result is None or result == "created":
            return "created"
        return "duplicate"
    if status == 409:
        return "duplicate"
    if status == 429 or status >= 500 or status in (0, 408):
        return "transient"
    if error_type in TRANSIENT_TYPES:
        return "transient"
    return "permanent"


def classify_bulk_item(item: Mapping[str, Any]) -> tuple[ItemOutcome, str]:
    """Classify one entry of a bulk response's ``items`` (``{"update": {...}}``).

    Returns the outcome and a short error description (empty on success)."""
    (body,) = item.values()
    status = int(body.get("status", 0))
    error = body.get("error")
    error_type: str | None = None
    reason = ""
    if isinstance(error, Mapping):
        error_type = str(error.get("type")) if error.get("type") else None
        reason = f"{error_type}: {error.get('reason', '')}"
    elif error is not None:
        reason = str(error)
    result = body.get("result")
    return classify_status(status, error_type, str(result) if result else None), reason


def translate(exc: BaseException) -> ElasticError | None:
    """The narrmon error for an exception the client raised for a whole request; None when it is
    not an Elasticsearch or network failure (a bug: let it propagate)."""
    from elasticsearch import ApiError, TransportError

    if isinstance(exc, ApiError):
        status = exc.meta.status
        body = exc.body
        error_type = None
        if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
            error_type = body["error"].get("type")
        detail = f"elasticsearch answered {status}"
        if classify_status(status, error_type) == "transient":
            return ElasticUnavailable(detail)
        detail = f"{detail}: {error_type or exc.message}"
        if status == 404:
            return ElasticNotFound(detail)
        if status == 409:
            return ElasticConflict(detail)
        return ElasticRejected(detail)
    if isinstance(exc, TransportError):  # connection refused, timeouts, TLS
        return ElasticUnavailable(f"elasticsearch unreachable: {exc}")
    if isinstance(exc, (OSError, TimeoutError)):
        return ElasticUnavailable(f"elasticsearch unreachable: {exc!r}")
    return None


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise the client's exceptions as `ElasticError` subclasses (``raise ... from exc``);
    anything else passes through unchanged. A context manager, or a decorator of a sync
    function; wrap the ``await`` itself for the async client."""
    try:
        yield
    except ElasticError:
        raise
    except Exception as exc:
        error = translate(exc)
        if error is None:
            raise
        raise error from exc
