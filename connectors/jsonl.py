"""JSON Lines replay: one post per line."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import OversizePolicy, RawItem
from connectors.mapping import DEFAULT_MAPPING
from connectors.records import post_from_record
from models.errors import InvalidRecord
from models.records import Post, utc_now

logger = logging.getLogger(__name__)


def file_mtime(path: Path) -> datetime:
    """The file's modification time, UTC."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


class JsonlConnector:
    """Replays JSON Lines files: each non-blank line is one record, mapped with `mapping`.

    `items()` reads the files in the order given, lazily, yielding each line's bytes with origin
    ``path:line``. `normalise()` rejects invalid UTF-8 (``invalid_utf8``), broken JSON
    (``malformed_json``), non-objects (``schema_error``) and whatever `post_from_record` rejects.
    Short-form: over-long posts are rejected, never split.
    """

    oversize: OversizePolicy = "reject"

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        source: str,
        mapping: Mapping[str, str] = DEFAULT_MAPPING,
        platform: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.paths = list(paths)
        self.source = source
        self.mapping = dict(mapping)
        self.platform = platform
        self._clock = clock

    def items(self) -> Iterator[RawItem]:
        for path in self.paths:
            logger.info("replaying %s", path)
            with path.open("rb") as handle:
                for number, read in enumerate(handle, start=1):
                    line = read.rstrip(b"\r\n")
                    if line.strip():
                        yield RawItem(data=line, origin=f"{path}:{number}")

    def normalise(self, raw: RawItem) -> Post:
        if not isinstance(raw.data, bytes):
            raise InvalidRecord("schema_error", "a JSONL item must be bytes")
        try:
            line = raw.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRecord("invalid_utf8", f"byte {exc.start}: {exc.reason}") from exc
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRecord("malformed_json", str(exc)) from exc
        if not isinstance(record, dict):
            raise InvalidRecord(
                "schema_error", f"a line must be a JSON object, got {type(record).__name__}"
            )
        return post_from_record(
            record, self.mapping, source=self.source, now=self._clock(), platform=self.platform
        )
