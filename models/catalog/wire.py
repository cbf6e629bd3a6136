"""A catalog as one message: the JSON a published catalog travels as (`narrmon catalog publish`
writes it to the compacted catalog topic; every worker and API process reads it back).

Pure. The message keeps the catalog's `version` as computed where it was validated (a JSONL
catalog's version hashes its file bytes, which the receiver no longer has), and every narrative is
validated again on the way in, so a message that did not come from `catalog_message` (or from an
older narrmon) is refused with `CatalogError` instead of reaching a matcher.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from models.catalog.schema import Catalog, CatalogError, Narrative


class CatalogMessage(BaseModel):
    """The JSON shape of a published catalog."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    name: str
    version: str
    description: str = ""
    sources: tuple[str, ...] = ()
    narratives: tuple[Narrative, ...]


def catalog_message(catalog: Catalog) -> bytes:
    """`catalog` as UTF-8 JSON bytes."""
    message = CatalogMessage(
        name=catalog.name,
        version=catalog.version,
        description=catalog.description,
        sources=catalog.sources,
        narratives=catalog.narratives,
    )
    return message.model_dump_json().encode("utf-8")


def catalog_from_message(raw: bytes, origin: str = "catalog message") -> Catalog:
    """The `Catalog` in `raw` (as written by `catalog_message`). Raises `CatalogError` naming
    `origin` and the field for anything else."""
    try:
        message = CatalogMessage.model_validate_json(raw)
    except ValidationError as exc:
        problems = [
            f"{origin}: {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise CatalogError(problems) from exc
    return Catalog(
        name=message.name,
        narratives=message.narratives,
        description=message.description,
        sources=message.sources,
        version=message.version,
    )


__all__ = ["CatalogMessage", "catalog_from_message", "catalog_message"]
