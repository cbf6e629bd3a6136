"""Field mapping for record sources (JSONL, CSV): which input field fills which `Post` field.

A mapping is ``{post_field: source_path}``. Post fields are dotted (``author.handle``); source
paths are dotted paths into the record (``user.screen_name``). For flat records (CSV rows) a path is
first looked up as a literal key, so a column named ``author.handle`` works too. The default
mapping is the identity: input shaped like `Post` (the demo format) needs no options.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

POST_FIELDS: tuple[str, ...] = (
    "id",
    "platform",
    "text",
    "title",
    "url",
    "created_at",
    "language",
    "author.id",
    "author.handle",
    "author.display_name",
    "author.followers",
    "engagement.likes",
    "engagement.reposts",
    "engagement.replies",
    "engagement.views",
    "references.reply_to",
    "references.quote_of",
    "references.repost_of",
)
"""The `Post` fields a mapping may fill; the others (source, ids of parts, ingested_at, raw) are
set by the connector."""

DEFAULT_MAPPING: Mapping[str, str] = {name: name for name in POST_FIELDS}

_MISSING = object()


class MappingError(ValueError):
    """A mapping spec that names an unknown `Post` field or is not ``field=path``."""


def build_mapping(
    overrides: Mapping[str, str] | None = None, base: Mapping[str, str] = DEFAULT_MAPPING
) -> dict[str, str]:
    """`base` updated with `overrides`, after checking every key is in `POST_FIELDS`.
    An empty path removes the field from the mapping (it is never read)."""
    mapping = dict(base)
    for field, path in (overrides or {}).items():
        if field not in POST_FIELDS:
            raise MappingError(
                f"unknown Post field {field!r}; expected one of {', '.join(POST_FIELDS)}"
            )
        if path:
            mapping[field] = path
        else:
            mapping.pop(field, None)
    return mapping


def parse_map_options(options: Iterable[str]) -> dict[str, str]:
    """Parse ``--map field=path`` options into ``{field: path}``. Raises `MappingError`."""
    parsed: dict[str, str] = {}
    for option in options:
        field, sep, path = option.partition("=")
        if not sep or not field.strip():
            raise MappingError(f"--map expects field=path, got {option!r}")
        parsed[field.strip()] = path.strip()
    return parsed


def load_mapping_file(path: Path) -> dict[str, str]:
    """Read a YAML mapping file: a flat ``{post_field: source_path}`` object. Raises
    `MappingError` for anything else (the file is read; nothing else is)."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and isinstance(v, str | None) for k, v in loaded.items()
    ):
        raise MappingError(f"{path}: a mapping file is a YAML object of field: path strings")
    return {k: v or "" for k, v in loaded.items()}


def lookup(record: Mapping[str, Any], path: str) -> Any:
    """The value at dotted `path` in `record`, or `MISSING` (`is_missing`) if any step is absent.
    A literal key equal to the whole path wins over traversal."""
    if path in record:
        return record[path]
    current: Any = record
    for step in path.split("."):
        if isinstance(current, Mapping) and step in current:
            current = current[step]
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            return _MISSING
    return current


def is_missing(value: Any) -> bool:
    """True for values `lookup` could not find, and for None and empty strings (CSV blanks)."""
    return value is _MISSING or value is None or value == ""
