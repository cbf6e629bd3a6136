"""Pure builders for the hits index template, the audit index and the ILM policy.

Designed for the smallest cluster we support, the integ-test-zip build of Elasticsearch 8.19: only
the ``standard`` analyzer (no language analyzers), no scripts, no ILM, no data streams. Everything
here is core: text/keyword/date/numeric fields, ``dense_vector`` with HNSW for kNN, aliases.

`MAPPING_VERSION` goes into the mapping ``_meta`` of the template and of every backing index.
Bump it whenever `hits_mappings` changes; `narrmon index migrate` then brings existing backing
indices up to date (``put_mapping`` when the change is additive, a reindex when it is not).
"""

from __future__ import annotations

from typing import Any

from models.records import HIT_SCHEMA_VERSION
from pipeline.elastic.schema import names
from pipeline.settings import Settings

MAPPING_VERSION = 4
"""Version of `hits_mappings`; stored as ``_meta.mapping_version``. 2: ``deleted_at`` and
``superseded_at``; 3: ``targeting``; 4: ``threat`` (score, level, components) and the narrative's
``why_tracked`` and ``fact_checks`` (all additive: ``narrmon index migrate`` puts the mapping in
place)."""

AUDIT_MAPPING_VERSION = 3
"""Version of `audit_mappings`. 2: ``audit_id``, ``status`` (review and audit written together);
3: ``escalation`` (escalation changes share the audit trail)."""
TEMPLATE_PRIORITY = 500
"""Above Elasticsearch's built-in templates (priority 100-200) so ours always wins."""

REVIEW_STATES = (
    "unreviewed",
    "confirmed",
    "false_positive",
    "needs_context",
    "correct_no_action",  # a right match that needs nothing done, e.g. a post debunking it
)
REVIEW_LABELS = REVIEW_STATES[1:]

_KEYWORD = {"type": "keyword", "ignore_above": 512}
_DATE = {"type": "date"}
_FLOAT = {"type": "float"}
_LONG = {"type": "long"}


def _text(keyword_above: int | None = None, offsets: bool = False) -> dict[str, Any]:
    """A ``standard``-analysed text field, optionally with a ``.keyword`` sub-field for exact
    filtering and terms aggregations. `offsets` stores offsets so long texts highlight cheaply."""
    field: dict[str, Any] = {"type": "text", "analyzer": "standard"}
    if offsets:
        field["index_options"] = "offsets"
    if keyword_above is not None:
        field["fields"] = {"keyword": {"type": "keyword", "ignore_above": keyword_above}}
    return field


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **extra}


def _narrative() -> dict[str, Any]:
    return _object(
        {
            "id": _KEYWORD,
            "title": _text(keyword_above=512),
            "severity": _KEYWORD,
            "verdict": _KEYWORD,
            "tags": _KEYWORD,
            "why_tracked": {"type": "text", "analyzer": "standard", "index": False},
            "fact_checks": _object(
                {
                    "url": {"type": "keyword", "ignore_above": 2048},
                    "publisher": _KEYWORD,
                    "rating": _KEYWORD,
                }
            ),
        }
    )


def _threat() -> dict[str, Any]:
    """The threat score (`models.threat`): score and level sort and filter the triage queue;
    each component's value and points are indexed, its wording stored only."""

    def component() -> dict[str, Any]:
        return _object(
            {
                "value": _FLOAT,
                "weight": _FLOAT,
                "points": _FLOAT,
                "detail": {"type": "text", "analyzer": "standard", "index": False},
            }
        )

    return _object(
        {
            "score": _FLOAT,
            "level": _KEYWORD,
            "severity": component(),
            "velocity": component(),
            "reach": component(),
            "targeting": component(),
            "stance_factor": _FLOAT,
            "targeting_signals": _KEYWORD,
            "version": _KEYWORD,
        },
        dynamic=False,
    )


def _scores() -> dict[str, Any]:
    return _object({"dense": _FLOAT, "lexical": _FLOAT, "combined": _FLOAT})


def _post() -> dict[str, Any]:
    return _object(
        {
            "schema_version": {"type": "short"},
            "id": _KEYWORD,
            "platform": _KEYWORD,
            "source": _KEYWORD,
            "author": _object(
                {
                    "id": _KEYWORD,
                    "handle": _KEYWORD,
                    "display_name": _text(keyword_above=256),
                    "followers": _LONG,
                }
            ),
            "text": _text(offsets=True),
            "title": _text(keyword_above=512, offsets=True),
            "url": {"type": "keyword", "ignore_above": 2048},
            "created_at": _DATE,
            "language": _KEYWORD,
            "engagement": _object(
                {"likes": _LONG, "reposts": _LONG, "replies": _LONG, "views": _LONG}
            ),
            "references": _object(
                {"reply_to": _KEYWORD, "quote_of": _KEYWORD, "repost_of": _KEYWORD}
            ),
            "part": _object(
                {"parent_id": _KEYWORD, "index": {"type": "integer"}, "count": {"type": "integer"}}
            ),
            "ingested_at": _DATE,
            # The connector's original payload: kept in _source for reviewers, never indexed
            # (arbitrary shapes would explode the mapping).
            "raw": {"type": "object", "enabled": False},
            "raw_truncated": {"type": "boolean"},
        }
    )


def _explanation() -> dict[str, Any]:
    """Only the fields a reviewer filters or sorts on are indexed; the prose is stored only.
    ``dynamic: false`` keeps a future field out of the mapping until a version bump adds it."""
    return _object(
        {
            "summary": {"type": "text", "analyzer": "standard", "index": False},
            "best_exemplar": {"type": "text", "analyzer": "standard", "index": False},
            "best_exemplar_index": {"type": "integer"},
            "dense_score": _FLOAT,
            "lexical_score": _FLOAT,
            "fused_score": _FLOAT,
            "threshold": _FLOAT,
            "stance": _KEYWORD,
            "stance_evidence": {"type": "text", "analyzer": "standard", "index": False},
            "keywords_matched": _KEYWORD,
            "model_id": _KEYWORD,
            "catalog_version": _KEYWORD,
        },
        dynamic=False,
    )


def _targeting() -> dict[str, Any]:
    """The post's targeting screen (`models.records.Targeting`): filter on ``targeting.flag``,
    sort on ``targeting.score``, aggregate on ``targeting.evidence.kind``; span texts are stored
    only. Hits written before an index was migrated to version 2 are not searchable by it."""
    return _object(
        {
            "flag": {"type": "boolean"},
            "score": _FLOAT,
            "evidence": _object(
                {
                    "start": {"type": "integer"},
                    "end": {"type": "integer"},
                    "kind": _KEYWORD,
                    "text": {"type": "text", "analyzer": "standard", "index": False},
                }
            ),
        }
    )


def review_mapping() -> dict[str, Any]:
    return _object(
        {
            "state": _KEYWORD,
            "reviewer": _KEYWORD,
            "reviewed_at": _DATE,
            "note": _text(),
        }
    )


def hits_mappings(dims: int) -> dict[str, Any]:
    """The hits mapping for embeddings of `dims` dimensions (cosine, HNSW-indexed for kNN)."""
    if dims <= 0:
        raise ValueError(f"embedding dims must be positive, got {dims}")
    return {
        # Unknown fields stay in _source but are not indexed: a new `Hit` field never makes the
        # pipeline's writes fail; it becomes searchable with the next mapping version.
        "dynamic": False,
        "_meta": {"mapping_version": MAPPING_VERSION, "hit_schema_version": HIT_SCHEMA_VERSION},
        "properties": {
            "schema_version": {"type": "short"},
            "id": _KEYWORD,
            "post": _post(),
            "narrative": _narrative(),
            "scores": _scores(),
            "exemplar": _text(keyword_above=1024),
            "stance": _KEYWORD,
            "model_id": _KEYWORD,
            "catalog_version": _KEYWORD,
            "matched_at": _DATE,
            "explanation": _explanation(),
            "targeting": _targeting(),
            "threat": _threat(),
            "embedding": {
                "type": "dense_vector",
                "dims": dims,
                "index": True,
                "similarity": "cosine",
                # Explicit, so the mapping does not change with the server's default.
                "index_options": {"type": "int8_hnsw"},
            },
            # Derived at indexing time (see `pipeline.elastic.hits.hit_document`).
            "domain": _KEYWORD,
            "indexed_at": _DATE,
            "review": review_mapping(),
            # Withdrawn hits, kept for the audit trail and hidden from default searches
            # (`pipeline.elastic.withdrawals`): the post was deleted on its platform, or an edit
            # no longer matches this narrative.
            "deleted_at": _DATE,
            "superseded_at": _DATE,
        },
    }


def hits_index_settings(ilm: bool, settings: Settings) -> dict[str, Any]:
    index: dict[str, Any] = {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "refresh_interval": settings.elasticsearch.hits_refresh_interval,
    }
    if ilm:
        index["lifecycle"] = {
            "name": names.hits_policy_name(settings),
            "rollover_alias": names.hits_alias(settings),
        }
    return {"index": index}


def hits_template(settings: Settings, dims: int, ilm: bool) -> dict[str, Any]:
    """Keyword arguments for ``client.indices.put_index_template``."""
    return {
        "name": names.hits_template_name(settings),
        "index_patterns": [names.hits_pattern(settings)],
        "priority": TEMPLATE_PRIORITY,
        "version": MAPPING_VERSION,
        "meta": {"managed_by": "narrmon", "mapping_version": MAPPING_VERSION, "ilm": ilm},
        "template": {
            "settings": hits_index_settings(ilm, settings),
            "mappings": hits_mappings(dims),
            "aliases": {names.hits_read_alias(settings): {}},
        },
    }


def ilm_policy() -> dict[str, Any]:
    """Rollover for hits when the cluster has ILM: at 25 GB per shard or 30 days."""
    return {
        "phases": {
            "hot": {"actions": {"rollover": {"max_primary_shard_size": "25gb", "max_age": "30d"}}}
        }
    }


def _audited_review() -> dict[str, Any]:
    """A review block as the audit stores it: with the ``audit_id`` of the entry that set it."""
    block = review_mapping()
    return {**block, "properties": {**block["properties"], "audit_id": _KEYWORD}}


def audit_escalation_mapping() -> dict[str, Any]:
    """What an escalation entry records (`pipeline.escalations.records.audit_entry`)."""
    return _object(
        {
            "id": _KEYWORD,
            "action": _KEYWORD,
            "platform": _KEYWORD,
            "channel": _KEYWORD,
            "status": _KEYWORD,
            "before_status": _KEYWORD,
            "outcome": _text(),
        }
    )


def audit_mappings() -> dict[str, Any]:
    """One document per review or escalation action: who, when, state before and after, note,
    and its ``status`` (pending until the hit's review is written; `pipeline.elastic.audit`). New
    fields only ever get ADDED (`ensure_audit_index` puts them on an existing index)."""
    return {
        "dynamic": "strict",
        "_meta": {"mapping_version": AUDIT_MAPPING_VERSION},
        "properties": {
            "hit_id": _KEYWORD,
            "hit_index": _KEYWORD,
            "narrative_id": _KEYWORD,
            "reviewer": _KEYWORD,
            "at": _DATE,
            "action": _KEYWORD,
            "before": _audited_review(),
            "after": _audited_review(),
            "note": _text(),
            "via": _KEYWORD,
            "audit_id": _KEYWORD,
            "status": _KEYWORD,
            "escalation": audit_escalation_mapping(),
        },
    }


def embedding_dims(mappings: dict[str, Any]) -> int | None:
    """The ``embedding.dims`` of an index's mappings (as returned by get_mapping), if any."""
    embedding = mappings.get("properties", {}).get("embedding", {})
    dims = embedding.get("dims")
    return int(dims) if dims is not None else None


def mapping_version(mappings: dict[str, Any]) -> int:
    """``_meta.mapping_version`` of an index's mappings; 0 when absent (pre-versioning)."""
    return int(mappings.get("_meta", {}).get("mapping_version", 0))
