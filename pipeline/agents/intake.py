"""Turn the raw bytes of one `posts` record into a `Post`, or a `DeadLetter` saying why not.

Pure: no Kafka, no Faust, no I/O. The matching agent calls `parse_post` for every record it
consumes; a bad record is never retried, it is dead-lettered with its original bytes.

Reasons, checked in this order (the first that applies wins):

- ``oversized``: the raw record is larger than the worker would ever accept, or the post's text is
  longer than ``max_post_chars`` (counted after normalisation, in characters).
- ``invalid_utf8``: the bytes are not UTF-8.
- ``malformed_json``: not JSON.
- ``schema_error``: JSON, but not an object, or an object `Post` refuses (wrong types, unknown
  fields, missing ids, bad dates, a text that is not a string).
- ``missing_text``: no ``text``, ``null``, or a text that is empty after normalisation.
- ``normalisation_error``: normalising the text raised something other than a validation error.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from models.records import DeadLetter, DeadLetterReason, Post
from models.text import normalise_text

logger = logging.getLogger(__name__)

UNKNOWN_SOURCE = "unknown"
_MAX_SOURCE_LABEL = 64


@dataclass(frozen=True)
class RecordOrigin:
    """Where a record was read from, carried into its dead letter so an operator can find it."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None


def max_record_bytes(max_post_chars: int) -> int:
    """The largest raw record worth parsing: a maximal text in 4-byte UTF-8 plus room for the
    other fields (raw payload included, which connectors cap at 16 KiB)."""
    return 4 * max_post_chars + 64 * 1024


def source_label(obj: object) -> str:
    """The post's declared ``source`` if it is a short string, else ``"unknown"``.

    Used as the ``source`` of a dead letter and as a metric label, so it is bounded."""
    if isinstance(obj, dict):
        source = obj.get("source")
        if isinstance(source, str) and 0 < len(source) <= _MAX_SOURCE_LABEL:
            return source
    return UNKNOWN_SOURCE


def parse_post(
    raw: bytes, *, max_post_chars: int, origin: RecordOrigin | None = None
) -> Post | DeadLetter:
    """Validate one raw record. Never raises: every failure becomes a `DeadLetter`."""
    origin = origin or RecordOrigin()

    def dead(reason: DeadLetterReason, error: str, source: str = UNKNOWN_SOURCE) -> DeadLetter:
        return DeadLetter.of(
            raw,
            reason,
            error,
            source,
            original_topic=origin.topic,
            original_partition=origin.partition,
            original_offset=origin.offset,
            key=origin.key,
        )

    if len(raw) > max_record_bytes(max_post_chars):
        return dead("oversized", f"record is {len(raw)} bytes")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return dead("invalid_utf8", str(exc))
    try:
        obj: Any = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return dead("malformed_json", str(exc))
    if not isinstance(obj, dict):
        return dead("schema_error", f"expected a JSON object, got {type(obj).__name__}")
    source = source_label(obj)

    text = obj.get("text")
    if text is None:
        return dead("missing_text", "post has no text", source)
    if not isinstance(text, str):
        return dead("schema_error", f"text must be a string, got {type(text).__name__}", source)
    try:
        normalised = normalise_text(text)
    except Exception as exc:  # a bug in normalisation must not stop the stream
        return dead("normalisation_error", repr(exc), source)
    if not normalised:
        return dead("missing_text", "text is empty after normalisation", source)
    if len(normalised) > max_post_chars:
        return dead(
            "oversized", f"text is {len(normalised)} characters (max {max_post_chars})", source
        )

    try:
        return Post.model_validate(obj)
    except ValidationError as exc:
        return dead("schema_error", _summarise(exc), source)


def _summarise(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:10]:
        loc = ".".join(str(p) for p in error["loc"]) or "<record>"
        parts.append(f"{loc}: {error['msg']}")
    return "; ".join(parts)
