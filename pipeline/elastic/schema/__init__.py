"""The hits schema on a cluster: names (`names`), mapping bodies (`mapping`), creation and
rolling (`lifecycle`), mapping versions and migrations (`migrate`).

The worker prepares the index once at start-up::

    alias = prepare_hits_index(settings, dims=model_dims)   # idempotent; returns the write alias

and writes hits through that alias with `pipeline.elastic.hits.HitSink`. Searches read through
`hits_read_alias`. See `names` for the layout and `migrate` for mapping versions.
"""

from __future__ import annotations

from pipeline.elastic.schema.lifecycle import (
    ensure_audit_index,
    ensure_hits_index,
    prepare_hits_index,
)
from pipeline.elastic.schema.mapping import MAPPING_VERSION, REVIEW_LABELS, REVIEW_STATES
from pipeline.elastic.schema.names import audit_index, hits_alias, hits_read_alias

__all__ = [
    "MAPPING_VERSION",
    "REVIEW_LABELS",
    "REVIEW_STATES",
    "audit_index",
    "ensure_audit_index",
    "ensure_hits_index",
    "hits_alias",
    "hits_read_alias",
    "prepare_hits_index",
]
