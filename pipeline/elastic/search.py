"""Reads for the analyst service and the demo: tolerant searches, one hit by id, counts, a full
scan. Blocking (the sync client). Errors are translated (`pipeline.elastic.errors`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pipeline.elastic.errors import ElasticNotFound, translated

if TYPE_CHECKING:
    from pipeline.elastic.client import Client


def search(client: Client, index: str, **body: Any) -> dict[str, Any]:
    """One search; a missing index reads as empty (no hit was ever indexed). Raises
    `ElasticUnavailable` (overloaded or unreachable), `ElasticRejected` (a bad query)."""
    with translated():
        response = client.search(
            index=index, ignore_unavailable=True, allow_no_indices=True, **body
        )
    return dict(response)


def locate(client: Client, index: str, hit_id: str) -> dict[str, Any]:
    """The ES hit (with ``_index``, ``_seq_no``, ``_primary_term``) for `hit_id`, newest indexed
    first when a rollover left copies. Raises `ElasticNotFound`, `ElasticUnavailable`."""
    response = search(
        client,
        index,
        query={"ids": {"values": [hit_id]}},
        size=1,
        seq_no_primary_term=True,
        sort=[{"indexed_at": "desc"}],
    )
    found = response["hits"]["hits"]
    if not found:
        raise ElasticNotFound(f"no hit with id {hit_id!r}")
    return dict(found[0])


def alias_count(client: Client, alias: str) -> int | None:
    """Documents behind `alias`, or None when the alias does not exist. Raises
    `ElasticUnavailable`."""
    with translated():
        if not client.indices.exists_alias(name=alias):
            return None
        return int(client.count(index=alias)["count"])


def scan(client: Client, index: str, source: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Every document of `index` (``_id`` and the `source` fields), in no particular order, after
    a refresh so that recent writes are included. Raises `ElasticUnavailable`."""
    from elasticsearch.helpers import scan as scroll

    with translated():
        client.indices.refresh(index=index)
        yield from scroll(
            client, index=index, query={"query": {"match_all": {}}}, _source=list(source)
        )
