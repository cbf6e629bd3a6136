"""Pure conversions between `Hit` records and hits-index documents.

The document is ``Hit.model_dump(mode="json")`` plus derived fields: ``domain`` (from
``post.url``) and ``indexed_at``. ``review`` is NOT part of `hit_document`: it belongs to
reviewers, and a redelivered hit must never reset it. Write hits with `hit_action` (a bulk
``update`` with ``doc_as_upsert``-style upsert) so an existing review survives re-indexing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from models.records import Hit

DERIVED_FIELDS = ("domain", "indexed_at", "review")
_HOST = re.compile(r"^[a-z0-9.\-_\[\]:]+$")


def domain_of(url: str | None) -> str | None:
    """The lower-cased host of `url` without a leading ``www.``; None when there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    if not _HOST.match(host):
        return None
    return host.removeprefix("www.") or None


def hit_document(hit: Hit, indexed_at: datetime | None = None) -> dict[str, Any]:
    """The ``_source`` for `hit` (without ``review``; see the module docstring)."""
    doc = hit.model_dump(mode="json")
    doc["domain"] = domain_of(hit.post.url)
    when = indexed_at or datetime.now(UTC)
    doc["indexed_at"] = when.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return doc


def unreviewed() -> dict[str, Any]:
    return {"state": "unreviewed", "reviewer": None, "reviewed_at": None, "note": None}


def hit_action(hit: Hit, index: str, indexed_at: datetime | None = None) -> dict[str, Any]:
    """A bulk action (for ``elasticsearch.helpers.bulk``) that writes `hit` idempotently under its
    deterministic id: a new hit is created with ``review.state = unreviewed``; an existing one gets
    its hit fields replaced and keeps its review."""
    doc = hit_document(hit, indexed_at)
    return {
        "_op_type": "update",
        "_index": index,
        "_id": hit.id,
        "doc": doc,
        "upsert": {**doc, "review": unreviewed()},
    }


def hit_from_document(source: dict[str, Any]) -> Hit:
    """Rebuild the `Hit` from a hits-index ``_source`` (derived fields are dropped)."""
    return Hit.model_validate({k: v for k, v in source.items() if k not in DERIVED_FIELDS})


def review_of(source: dict[str, Any]) -> dict[str, Any]:
    """The review block of a document, defaulting to unreviewed for documents without one."""
    review = source.get("review") or {}
    return {**unreviewed(), **review}
