"""The connector interface: raw items in, `Post`s out, `InvalidRecord` for bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from models.records import Post

OversizePolicy = Literal["split", "reject"]
"""What `connectors.size.enforce_size` does with text over the limit (see package docstring)."""


@dataclass(frozen=True)
class RawItem:
    """One record as read from a source, before any parsing.

    `data` is the record's bytes (a JSONL line, a whole article file) or, for sources that must
    parse to find record boundaries (CSV), the field mapping as read. `origin` names where it
    came from (``path:line``) and is the dead-letter key. `modified_at` is the file's mtime, used
    when the record itself carries no date.
    """

    data: bytes | Mapping[str, str | None]
    origin: str
    modified_at: datetime | None = None

    def original_bytes(self) -> bytes:
        """The bytes to keep in a dead letter. For a mapping: its JSON, with any undecodable
        bytes (read with ``surrogateescape``) restored exactly."""
        if isinstance(self.data, bytes):
            return self.data
        return json.dumps(dict(self.data), ensure_ascii=False).encode("utf-8", "surrogateescape")


@runtime_checkable
class Connector(Protocol):
    """A source of posts.

    `items()` does the I/O (reads files, sockets) and yields `RawItem`s lazily, in source order.
    `normalise()` is pure (no I/O, no clock): it returns one `Post` or raises
    `models.errors.InvalidRecord`.
    `oversize` says how over-long texts are handled; `source` names the source in records and
    metrics.
    """

    source: str
    oversize: OversizePolicy

    def items(self) -> Iterator[RawItem]: ...

    def normalise(self, raw: RawItem) -> Post: ...
