"""Which Elasticsearch failures are worth retrying, and how long to wait. Pure.

Contract: a *transient* failure (no connection, timeout, 429 Too Many Requests, any 5xx, a
missing write index) is retried with exponential backoff and the hits stay unacknowledged; a
*permanent* failure (any other 4xx for one document: a mapping conflict, a parse error) is never
retried, the hit goes to the dead-letter topic. A 2xx whose result is not ``created`` (an upsert
that found the document: ``updated`` or ``noop``) or a 409 means the hit was already indexed (a
redelivery), which is success.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, Literal

ItemOutcome = Literal["created", "duplicate", "transient", "permanent"]

_TRANSIENT_TYPES = frozenset(
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


def classify_status(
    status: int, error_type: str | None = None, result: str | None = None
) -> ItemOutcome:
    """Classify one bulk item (or one whole request) by HTTP status, ES error type and, for
    successes, the item's ``result``."""
    if 200 <= status < 300:
        if result is None or result == "created":
            return "created"
        return "duplicate"
    if status == 409:
        return "duplicate"
    if status == 429 or status >= 500 or status in (0, 408):
        return "transient"
    if error_type in _TRANSIENT_TYPES:
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


def is_transient_exception(exc: BaseException) -> bool:
    """Whether an exception raised by the client for a whole request is worth retrying."""
    from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, TransportError

    if isinstance(exc, ApiError):
        error_type = None
        body = exc.body
        if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
            error_type = body["error"].get("type")
        return classify_status(exc.status_code, error_type) == "transient"
    if isinstance(exc, (ConnectionError, ConnectionTimeout, TransportError)):
        return True
    return isinstance(exc, (OSError, TimeoutError))


def backoff_delay(
    attempt: int,
    *,
    base_s: float = 0.5,
    cap_s: float = 30.0,
    jitter: float = 0.2,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): ``base * 2**attempt``, capped at
    ``cap_s``, then spread by +-``jitter`` (a fraction) so workers do not retry in lockstep."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    delay = min(cap_s, base_s * (2.0 ** min(attempt, 32)))
    spread = delay * jitter * (2 * rand() - 1)
    return max(0.0, min(cap_s, delay + spread))
