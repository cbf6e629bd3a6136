"""Creating and rolling the hits indices on a real cluster (I/O; the bodies come from `mapping`).

`ensure_hits_index` is what the worker (through `prepare_hits_index`) and ``narrmon index ensure``
call at start-up. It is idempotent and safe to run concurrently from several processes (a lost
creation race is treated as success), and cheap enough to call periodically: in the monthly
fallback it is also what moves the write alias to the new month's index. The public functions
raise `pipeline.elastic.errors.ElasticError`s only.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError

from pipeline.elastic.client import BACKGROUND, make_client
from pipeline.elastic.errors import IndexSchemaError, translated
from pipeline.elastic.schema import mapping, names
from pipeline.settings import Settings

logger = logging.getLogger(__name__)


def cluster_modules(client: Elasticsearch) -> set[str]:
    """Names of the modules and plugins every node runs (``GET _nodes/plugins``)."""
    found = client.nodes.info(
        metric="plugins", filter_path="nodes.*.modules.name,nodes.*.plugins.name"
    )
    per_node = [
        {m["name"] for m in node.get("modules", []) + node.get("plugins", [])}
        for node in found.get("nodes", {}).values()
    ]
    return set.intersection(*per_node) if per_node else set()


def has_ilm(client: Elasticsearch) -> bool:
    """Whether every node runs index lifecycle management (the ``x-pack-ilm`` module, absent in
    the integ-test-zip build). Asked through the nodes API rather than by probing ``_ilm``, whose
    error answer there would mark the node as failed in the client's pool."""
    return "x-pack-ilm" in cluster_modules(client)


def has_reindex(client: Elasticsearch) -> bool:
    """Whether the server-side ``_reindex`` API exists (the ``reindex`` module)."""
    return "reindex" in cluster_modules(client)


def _template(client: Elasticsearch, settings: Settings) -> dict[str, Any] | None:
    try:
        found = client.indices.get_index_template(name=names.hits_template_name(settings))
    except NotFoundError:
        return None
    templates = found.get("index_templates", [])
    return dict(templates[0]["index_template"]) if templates else None


def install_template(client: Elasticsearch, settings: Settings, dims: int, ilm: bool) -> bool:
    """Put our hits template unless a newer version is there, or the same version with the
    configured refresh interval. Returns whether it was written. Raises `IndexSchemaError` when
    the installed template's dims differ."""
    current = _template(client, settings)
    if current is not None:
        version = int(current.get("version") or 0)
        installed_dims = mapping.embedding_dims(current.get("template", {}).get("mappings", {}))
        if version >= mapping.MAPPING_VERSION:
            if installed_dims is not None and installed_dims != dims:
                raise IndexSchemaError(
                    f"hits template has embedding dims {installed_dims}, the model gives {dims}"
                    " (a different model needs a new index_prefix or a migration)"
                )
            if version > mapping.MAPPING_VERSION:
                logger.warning(
                    "hits template version %s is newer than ours (%s); leaving it",
                    version,
                    mapping.MAPPING_VERSION,
                )
                return False
            if _refresh_interval(current.get("template", {})) == _wanted_refresh(settings):
                return False
    if ilm:
        client.ilm.put_lifecycle(name=names.hits_policy_name(settings), policy=mapping.ilm_policy())
    client.indices.put_index_template(**mapping.hits_template(settings, dims, ilm))
    logger.info(
        "installed index template %s (mapping version %s, ilm=%s)",
        names.hits_template_name(settings),
        mapping.MAPPING_VERSION,
        ilm,
    )
    return True


def _wanted_refresh(settings: Settings) -> str:
    return settings.elasticsearch.hits_refresh_interval


def _refresh_interval(holder: dict[str, Any]) -> str | None:
    """``settings.index.refresh_interval`` of a template body or index settings answer."""
    value = holder.get("settings", {}).get("index", {}).get("refresh_interval")
    return None if value is None else str(value)


def apply_refresh_interval(client: Elasticsearch, settings: Settings) -> bool:
    """Give the write index the configured refresh interval (the template only shapes indices
    created later). Returns whether it changed anything."""
    index = write_index(client, settings)
    if index is None:
        return False
    found = client.indices.get_settings(index=index, name="index.refresh_interval")
    wanted = _wanted_refresh(settings)
    if _refresh_interval(dict(found.body).get(index, {})) == wanted:
        return False
    client.indices.put_settings(index=index, settings={"index": {"refresh_interval": wanted}})
    logger.info("hits index %s now refreshes every %s", index, wanted)
    return True


def _create(client: Elasticsearch, index: str, **body: Any) -> bool:
    """Create `index`; False when it already exists (also when another process won the race)."""
    try:
        client.indices.create(index=index, **body)
    except BadRequestError as exc:
        if exc.error == "resource_already_exists_exception":
            return False
        raise
    return True


@translated()
def ensure_audit_index(client: Elasticsearch, settings: Settings) -> str:
    """Create the audit index with its strict mapping unless it exists, or bring an older one's
    mapping up to `mapping.AUDIT_MAPPING_VERSION` (additive ``put_mapping``); return its name."""
    index = names.audit_index(settings)
    wanted = mapping.audit_mappings()
    if not client.indices.exists(index=index):
        created = _create(
            client,
            index,
            mappings=wanted,
            settings={"index": {"number_of_shards": 1, "number_of_replicas": 0}},
        )
        if created:
            return index
    current = client.indices.get_mapping(index=index)[index]["mappings"]
    if mapping.mapping_version(current) < mapping.AUDIT_MAPPING_VERSION:
        client.indices.put_mapping(
            index=index, meta=wanted["_meta"], properties=wanted["properties"]
        )
        logger.info("audit index %s mapping now v%s", index, mapping.AUDIT_MAPPING_VERSION)
    return index


def write_index(client: Elasticsearch, settings: Settings) -> str | None:
    """The backing index the write alias currently writes to, or None when there is no alias."""
    alias = names.hits_alias(settings)
    try:
        found = client.indices.get_alias(name=alias)
    except NotFoundError:
        return None
    indices = list(found.body.items())
    for index, body in indices:
        if body.get("aliases", {}).get(alias, {}).get("is_write_index"):
            return str(index)
    return str(indices[0][0]) if len(indices) == 1 else None


def _ensure_monthly(client: Elasticsearch, settings: Settings, now: datetime) -> None:
    alias = names.hits_alias(settings)
    wanted = names.monthly_index(settings, now)
    current = write_index(client, settings)
    if current == wanted:
        return
    _create(client, wanted)
    actions: list[dict[str, Any]] = [
        {"add": {"index": wanted, "alias": alias, "is_write_index": True}}
    ]
    if current is not None:
        # The old month stays in the alias (readable), no longer written.
        actions.append({"add": {"index": current, "alias": alias, "is_write_index": False}})
    client.indices.update_aliases(actions=actions)
    logger.info("hits write alias %s now points at %s (was %s)", alias, wanted, current)


def _ensure_rollover(client: Elasticsearch, settings: Settings) -> None:
    if write_index(client, settings) is not None:
        return  # ILM rolls it over from here on
    alias = names.hits_alias(settings)
    _create(
        client,
        names.first_rollover_index(settings),
        aliases={alias: {"is_write_index": True}},
    )


@translated()
def ensure_hits_index(
    client: Elasticsearch, settings: Settings, dims: int, now: datetime | None = None
) -> str:
    """Install the hits template (and ILM policy where the cluster has ILM), the audit index, and a
    write index behind the write alias with the configured refresh interval; return the write
    alias. Idempotent.

    With ILM, the first backing index is ``P-hits-000001`` and ILM rolls it over. Without ILM the
    backing index is the month's ``P-hits-YYYY.MM`` (month of `now`, UTC): calling this again in a
    new month moves the write alias there. Raises `IndexSchemaError` on incompatible dims,
    `ElasticUnavailable` when the cluster is unreachable, `ElasticRejected` when it refuses.
    """
    ilm = has_ilm(client)
    install_template(client, settings, dims, ilm)
    ensure_audit_index(client, settings)
    if ilm:
        _ensure_rollover(client, settings)
    else:
        _ensure_monthly(client, settings, (now or datetime.now(UTC)).astimezone(UTC))
    apply_refresh_interval(client, settings)
    return names.hits_alias(settings)


def prepare_hits_index(settings: Settings, dims: int) -> str:
    """`ensure_hits_index` on a client of its own (closed before returning); returns the write
    alias. Blocking; what a worker runs once before it consumes."""
    client = make_client(settings, BACKGROUND)
    try:
        return ensure_hits_index(client, settings, dims)
    finally:
        client.close()
