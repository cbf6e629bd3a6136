"""CSV replay: one post per row, columns named by the header row."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from connectors.base import OversizePolicy, RawItem
from connectors.mapping import DEFAULT_MAPPING
from connectors.records import post_from_record
from models.errors import InvalidRecord
from models.records import Post, utc_now

logger = logging.getLogger(__name__)

# Long article-like cells must not trip csv's default 128 KiB field limit: oversize is our rule.
csv.field_size_limit(16 * 1024 * 1024)


class CsvConnector:
    """Replays CSV files with a header row; dotted column names (``author.handle``) are allowed.

    Files are read as UTF-8 with ``surrogateescape`` so one bad row does not stop the file:
    `normalise()` rejects a row holding undecodable bytes as ``invalid_utf8`` (the dead letter keeps
    the exact bytes), a row with more cells than the header as ``schema_error``, and whatever
    `post_from_record` rejects. Empty cells count as absent. Short-form: over-long posts are
    rejected, never split.
    """

    oversize: OversizePolicy = "reject"

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        source: str,
        mapping: Mapping[str, str] = DEFAULT_MAPPING,
        platform: str | None = None,
        delimiter: str = ",",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.paths = list(paths)
        self.source = source
        self.mapping = dict(mapping)
        self.platform = platform
        self.delimiter = delimiter
        self._clock = clock

    def items(self) -> Iterator[RawItem]:
        for path in self.paths:
            logger.info("replaying %s", path)
            with path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
                reader = csv.DictReader(handle, delimiter=self.delimiter)
                for row in reader:
                    # The header is line 1; line_num counts physical lines read so far.
                    yield RawItem(data=_cells(row), origin=f"{path}:{reader.line_num}")

    def normalise(self, raw: RawItem) -> Post:
        if isinstance(raw.data, bytes):
            raise InvalidRecord("schema_error", "a CSV item must be a row mapping")
        row = dict(raw.data)
        if "__extra__" in row:
            raise InvalidRecord("schema_error", "row has more cells than the header")
        for column, value in row.items():
            if value is not None and _has_undecodable(value):
                raise InvalidRecord("invalid_utf8", f"column {column!r} is not valid UTF-8")
        return post_from_record(
            row, self.mapping, source=self.source, now=self._clock(), platform=self.platform
        )


def _cells(row: Mapping[str | None, object]) -> dict[str, str | None]:
    cells: dict[str, str | None] = {}
    for key, value in row.items():
        if key is None:  # DictReader puts surplus cells under the None key
            cells["__extra__"] = ",".join(str(v) for v in value) if isinstance(value, list) else ""
        else:
            cells[key] = value if isinstance(value, str) or value is None else str(value)
    return cells


def _has_undecodable(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)
