"""Turn the raw bytes of one `posts` record into a `Post`, or raise `InvalidRecord` saying why not.

Pure: no Kafka, no Faust, no I/O. The matching agent's runner calls `parse_post` for every record
it consumes; a refused record is never retried, the runner dead-letters it with its original bytes
and origin.

Reasons, checked in this order (the first that applies wins):

- ``oversized``: the raw record is larger than the worker would ever accept.
- ``invalid_utf8``: the bytes are not UTF-8.
- ``malformed_json``: not JSON.
- ``schema_error``: JSON nested deeper than `models.limits.MAX_JSON_DEPTH` (or too deep for
  Python's parser at all).
- ``schema_error``: JSON, but not an object.
- ``missing_text``: no ``text`` or ``null``.
- ``schema_error``: a text that is not a string.
- ``missing_text``: a text that is empty after normalisation (by the `Post` validator, the one
  place text is normalised).
- ``schema_error``: an object `Post` refuses (wrong types, unknown fields, missing ids, bad dates).
- ``oversized``: the post's text is longer than ``max_post_chars`` characters after
  normalisation (`connectors.size.refuse_oversized`, the rule connectors apply too).
- ``invalid_utf8``: the post cannot be written back as JSON because a string in it (its ``raw``
  payload: pydantic already refuses them in typed fields) holds a lone surrogate escape
  (``"\\ud800"``); anything else that stops it being re-encoded is a ``schema_error``. Checked
  here so the matching step can always serialise the post's hits.
- ``unexpected_error``: validating raised something nobody anticipated (a bug must not stop the
  stream); the detail names the exception type.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from connectors.size import refuse_oversized
from models.dead_letters import DeadLetterReason
from models.errors import InvalidRecord
from models.limits import MAX_JSON_DEPTH, encodable, json_depth
from models.records import Post

logger = logging.getLogger(__name__)

UNKNOWN_SOURCE = "unknown"
_MAX_SOURCE_LABEL = 64


def max_record_bytes(max_post_chars: int) -> int:
    """The largest raw record worth parsing: a maximal text in 4-byte UTF-8 plus room for the
    other fields (raw payload included, which connectors cap at 16 KiB)."""
    return 4 * max_post_chars + 64 * 1024


def source_label(obj: object) -> str | None:
    """The post's declared ``source`` if it is a short string, else None.

    Used as the ``source`` of a dead letter and as a metric label, so it is bounded."""
    if isinstance(obj, dict):
        source = obj.get("source")
        if isinstance(source, str) and 0 < len(source) <= _MAX_SOURCE_LABEL:
            return encodable(source)
    return None


def parse_post(raw: bytes, *, max_post_chars: int) -> Post:
    """Validate one raw record into a `Post`. Raises `InvalidRecord` (see the module docstring);
    its ``source`` is the post's declared source when readable."""
    if len(raw) > max_record_bytes(max_post_chars):
        raise InvalidRecord("oversized", f"record is {len(raw)} bytes")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord("invalid_utf8", str(exc)) from exc
    try:
        obj: Any = json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise InvalidRecord("malformed_json", str(exc)) from exc
    except RecursionError as exc:
        raise InvalidRecord("schema_error", "JSON nested too deeply to parse") from exc
    if json_depth(obj) > MAX_JSON_DEPTH:
        raise InvalidRecord("schema_error", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(obj, dict):
        raise InvalidRecord("schema_error", f"expected a JSON object, got {type(obj).__name__}")
    source = source_label(obj)

    text = obj.get("text")
    if text is None:
        raise InvalidRecord("missing_text", "post has no text", source=source)
    if not isinstance(text, str):
        raise InvalidRecord(
            "schema_error", f"text must be a string, got {type(text).__name__}", source=source
        )
    try:
        post = Post.model_validate(obj)
    except ValidationError as exc:
        if Post.is_empty_text_error(exc):
            raise InvalidRecord(
                "missing_text", "text is empty after normalisation", source=source
            ) from exc
        raise InvalidRecord("schema_error", _summarise(exc), source=source) from exc
    except ArithmeticError as exc:  # e.g. a date whose UTC offset leaves datetime's range
        raise InvalidRecord(
            "schema_error", f"value out of range: {type(exc).__name__}: {exc}", source=source
        ) from exc
    except Exception as exc:  # a bug in validation must not stop the stream
        raise InvalidRecord(
            "unexpected_error", f"{type(exc).__name__}: {exc}", source=source
        ) from exc
    refuse_oversized(post.text, max_post_chars, source=source)
    _refuse_unencodable(post, source)
    return post


def _refuse_unencodable(post: Post, source: str | None) -> None:
    try:
        post.model_dump_json()
    except PydanticSerializationError as exc:
        reason: DeadLetterReason = (
            "invalid_utf8" if "surrogates not allowed" in str(exc) else "schema_error"
        )
        raise InvalidRecord(
            reason, f"the post cannot be written back as JSON: {exc}", source=source
        ) from exc


def _summarise(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:10]:
        loc = ".".join(str(p) for p in error["loc"]) or "<record>"
        parts.append(f"{loc}: {error['msg']}")
    return "; ".join(parts)
