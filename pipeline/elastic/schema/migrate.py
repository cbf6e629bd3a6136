"""Mapping versions on a live cluster: report them (`index_info`) and bring indices up to date
(`migrate`). I/O only; the bodies come from `mapping`.

Migration of one outdated backing index ``X``:

1. ``put_mapping`` with the current mapping. Additive changes (a new field, a new sub-field)
   succeed and ``_meta.mapping_version`` is bumped in place: no data moves.
2. If Elasticsearch refuses (a field changes type, a stored-only field becomes indexed…), ``X`` is
   reindexed into ``X-m{version}`` (created from the new template). The new index joins the
   aliases first, taking over the write flag if ``X`` had it, so writes never stop; the reindex
   uses ``op_type=create`` so a hit written meanwhile wins over its older copy; then ``X`` is
   removed in the same alias action that drops it from the aliases.

While step 2 runs a search may see a hit twice (in ``X`` and its copy). Embedding dims cannot be
migrated (the vectors would be wrong): that raises `IndexSchemaError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError, helpers

from pipeline.elastic.errors import IndexSchemaError, translated
from pipeline.elastic.schema import mapping, names
from pipeline.elastic.schema.lifecycle import (
    ensure_audit_index,
    has_ilm,
    has_reindex,
    install_template,
    write_index,
)
from pipeline.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackingIndex:
    name: str
    mapping_version: int
    dims: int | None
    docs: int
    is_write_index: bool


@dataclass(frozen=True)
class IndexInfo:
    write_alias: str
    read_alias: str
    ilm: bool
    code_mapping_version: int
    template_version: int | None
    indices: list[BackingIndex] = field(default_factory=list)


@dataclass(frozen=True)
class MigrationStep:
    index: str
    action: Literal["up_to_date", "put_mapping", "reindexed"]
    from_version: int
    to_version: int
    target: str | None = None


def _backing_mappings(client: Elasticsearch, settings: Settings) -> dict[str, dict[str, Any]]:
    try:
        found = client.indices.get_mapping(index=names.hits_pattern(settings))
    except NotFoundError:
        return {}
    return {str(name): dict(body.get("mappings", {})) for name, body in found.body.items()}


@translated()
def index_info(client: Elasticsearch, settings: Settings) -> IndexInfo:
    """Versions and sizes of the template and every backing index. Raises `ElasticError`s."""
    try:
        template = client.indices.get_index_template(name=names.hits_template_name(settings))
        items = template.get("index_templates", [])
        template_version = int(items[0]["index_template"].get("version") or 0) if items else None
    except NotFoundError:
        template_version = None
    writer = write_index(client, settings)
    indices = []
    for name, mappings in sorted(_backing_mappings(client, settings).items()):
        docs = int(client.count(index=name)["count"])
        indices.append(
            BackingIndex(
                name=name,
                mapping_version=mapping.mapping_version(mappings),
                dims=mapping.embedding_dims(mappings),
                docs=docs,
                is_write_index=name == writer,
            )
        )
    return IndexInfo(
        write_alias=names.hits_alias(settings),
        read_alias=names.hits_read_alias(settings),
        ilm=has_ilm(client),
        code_mapping_version=mapping.MAPPING_VERSION,
        template_version=template_version,
        indices=indices,
    )


def _copy(client: Elasticsearch, index: str, target: str) -> int:
    """Copy every document of `index` into `target` without overwriting (``op_type=create``).
    Server-side ``_reindex`` where the cluster has it; otherwise scroll + bulk from here (the
    integ-test-zip build has no reindex module). Returns the documents copied."""
    if has_reindex(client):
        result = client.reindex(
            source={"index": index},
            dest={"index": target, "op_type": "create"},
            conflicts="proceed",
            wait_for_completion=True,
            refresh=True,
        )
        if result.get("failures"):
            raise IndexSchemaError(f"reindex {index} -> {target} failed: {result['failures'][:3]}")
        return int(result.get("created", 0))
    actions = (
        {"_op_type": "create", "_index": target, "_id": doc["_id"], "_source": doc["_source"]}
        for doc in helpers.scan(client, index=index, query={"query": {"match_all": {}}})
    )
    copied, failures = 0, []
    for ok, item in helpers.streaming_bulk(
        client, actions, raise_on_error=False, raise_on_exception=True
    ):
        if ok:
            copied += 1
        elif item.get("create", {}).get("status") != 409:  # 409: a newer write won; keep it
            failures.append(item)
    if failures:
        raise IndexSchemaError(f"copy {index} -> {target} failed: {failures[:3]}")
    client.indices.refresh(index=target)
    return copied


def _reindex(client: Elasticsearch, settings: Settings, index: str, is_writer: bool) -> str:
    target = f"{index}-m{mapping.MAPPING_VERSION}"
    if not client.indices.exists(index=target):
        client.indices.create(index=target)  # the template gives mappings and the read alias
    alias = names.hits_alias(settings)
    actions: list[dict[str, Any]] = [
        {"add": {"index": target, "alias": alias, "is_write_index": is_writer}}
    ]
    if is_writer:
        actions.append({"add": {"index": index, "alias": alias, "is_write_index": False}})
    client.indices.update_aliases(actions=actions)
    copied = _copy(client, index, target)
    client.indices.update_aliases(actions=[{"remove_index": {"index": index}}])
    logger.info("reindexed %s into %s (%s docs)", index, target, copied)
    return target


@translated()
def migrate(
    client: Elasticsearch, settings: Settings, dims: int | None = None
) -> list[MigrationStep]:
    """Install the current template and bring every backing index to `mapping.MAPPING_VERSION`.

    `dims` defaults to the dims of the existing indices (or template). Idempotent: a second run
    reports every index ``up_to_date``. Raises `IndexSchemaError` when dims disagree or a
    reindex fails, other `ElasticError`s when the cluster is unreachable or refuses.
    """
    backing = _backing_mappings(client, settings)
    existing_dims = {d for m in backing.values() if (d := mapping.embedding_dims(m)) is not None}
    if dims is None:
        if len(existing_dims) != 1:
            raise IndexSchemaError(
                f"cannot infer embedding dims from indices ({sorted(existing_dims)}); pass --dims"
            )
        dims = existing_dims.pop()
    elif existing_dims - {dims}:
        raise IndexSchemaError(f"indices have dims {sorted(existing_dims)}, asked for {dims}")
    ilm = has_ilm(client)
    install_template(client, settings, dims, ilm)
    ensure_audit_index(client, settings)
    writer = write_index(client, settings)
    outdated_writer = (
        writer is not None and mapping.mapping_version(backing[writer]) < mapping.MAPPING_VERSION
    )
    if ilm and outdated_writer:
        # ILM needs ``-000NNN`` names for its write index: roll over to a fresh one instead.
        client.indices.rollover(alias=names.hits_alias(settings))
        writer = write_index(client, settings)
    steps = []
    wanted = mapping.hits_mappings(dims)
    for index, mappings in sorted(backing.items()):
        old = mapping.mapping_version(mappings)
        new = mapping.MAPPING_VERSION
        if old >= new:
            steps.append(MigrationStep(index, "up_to_date", old, old))
            continue
        try:
            client.indices.put_mapping(
                index=index,
                dynamic=wanted["dynamic"],
                meta=wanted["_meta"],
                properties=wanted["properties"],
            )
            steps.append(MigrationStep(index, "put_mapping", old, new))
            logger.info("put mapping v%s on %s (was v%s)", new, index, old)
        except BadRequestError as exc:
            logger.info("mapping v%s not applicable in place on %s (%s)", new, index, exc.error)
            target = _reindex(client, settings, index, is_writer=index == writer)
            steps.append(MigrationStep(index, "reindexed", old, new, target=str(target)))
    return steps
