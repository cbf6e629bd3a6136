"""The Elasticsearch hits index: names, mapping, document shape, creation and migration.

The pipeline writes hits with::

    alias = ensure_hits_index(client, settings, dims=model_dims)   # once at start-up (idempotent)
    helpers.bulk(client, (hit_action(hit, alias) for hit in hits))  # keeps reviewers' work

`hit_document` is the ``_source``; `hit_action` wraps it in an upsert so that a redelivered hit
(same deterministic ``_id``) never resets its ``review``. Searches read through
`hits_read_alias`. See `names` for the layout and `migrate` for mapping versions.
"""

from __future__ import annotations

from pipeline.elastic.document import domain_of, hit_action, hit_document, hit_from_document
from pipeline.elastic.schema.lifecycle import (
    IndexSchemaError,
    ensure_audit_index,
    ensure_hits_index,
)
from pipeline.elastic.schema.mapping import MAPPING_VERSION, REVIEW_LABELS, REVIEW_STATES
from pipeline.elastic.schema.names import audit_index, hits_alias, hits_read_alias

__all__ = [
    "MAPPING_VERSION",
    "REVIEW_LABELS",
    "REVIEW_STATES",
    "IndexSchemaError",
    "audit_index",
    "domain_of",
    "ensure_audit_index",
    "ensure_hits_index",
    "hit_action",
    "hit_document",
    "hit_from_document",
    "hits_alias",
    "hits_read_alias",
]
