"""Pure mapping of one parsed record (a JSON object, a CSV row) to a `Post`.

Shared by the JSONL and CSV connectors. No I/O; the clock is passed in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from connectors.mapping import is_missing, lookup
from models.errors import InvalidRecord
from models.limits import MAX_JSON_DEPTH, json_depth
from models.records import RAW_MAX_BYTES, Post
from models.text import detect_language

_NESTED = ("author", "engagement", "references")
_REFERENCE_FIELDS = ("reply_to", "quote_of", "repost_of")


def scoped_id(platform: str, native: str) -> str:
    """``{platform}:{native}``, unless `native` already carries that prefix."""
    prefix = f"{platform}:"
    return native if native.startswith(prefix) else prefix + native


def content_id(record: Mapping[str, Any]) -> str:
    """A stable id for a record without one: sha256 of its canonical JSON, 16 hex digits."""
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def post_from_record(
    record: Mapping[str, Any],
    mapping: Mapping[str, str],
    *,
    source: str,
    now: datetime,
    platform: str | None = None,
) -> Post:
    """Build a `Post` from `record` using `mapping` (``{post_field: source_path}``).

    Rules: `platform` (when given) overrides the record's; the id is ``{platform}:{native id}``
    (native id from the mapping, else `content_id`), and reference ids get the same prefix; a
    missing ``created_at`` becomes `now`; a missing ``language`` is detected from the text; the
    record itself is kept in ``raw`` unless its JSON exceeds `RAW_MAX_BYTES` (then
    ``raw_truncated``). Never truncates text; normalising it is the `Post` validator's job.

    Raises `InvalidRecord`: ``missing_text`` (absent, not found or blank after normalisation),
    ``schema_error`` (no platform, wrong types, unparseable values).
    """
    values: dict[str, Any] = {}
    for field, path in mapping.items():
        value = lookup(record, path)
        if not is_missing(value):
            values[field] = value

    text = values.pop("text", None)
    if text is None:
        raise InvalidRecord("missing_text", f"no text at {mapping.get('text', '(unmapped)')!r}")
    if not isinstance(text, str):
        raise InvalidRecord("schema_error", f"text must be a string, got {type(text).__name__}")

    platform = platform or values.pop("platform", None)
    values.pop("platform", None)
    if not isinstance(platform, str) or not platform.strip():
        raise InvalidRecord("schema_error", "no platform in the record and none given")
    platform = platform.strip().lower()

    native = values.pop("id", None)
    if isinstance(native, bool) or not isinstance(native, str | int | None):
        raise InvalidRecord("schema_error", f"id must be a string, got {type(native).__name__}")
    native_id = str(native).strip() if native is not None else ""
    post_id = scoped_id(platform, native_id or content_id(record))

    fields: dict[str, Any] = {name: {} for name in _NESTED}
    for name, value in values.items():
        group, _, leaf = name.partition(".")
        if leaf:
            is_reference = group == "references" and leaf in _REFERENCE_FIELDS
            if is_reference and isinstance(value, str | int) and not isinstance(value, bool):
                fields[group][leaf] = scoped_id(platform, str(value))
            else:
                fields[group][leaf] = value
        else:
            fields[name] = value
    fields.setdefault("created_at", now)
    detect_later = not fields.get("language")
    if detect_later:
        fields.pop("language", None)

    raw, raw_truncated = _raw(record)
    try:
        post = Post(
            id=post_id,
            platform=platform,
            source=source,
            text=text,
            ingested_at=now,
            raw=raw,
            raw_truncated=raw_truncated,
            **fields,
        )
    except ValidationError as exc:
        if Post.is_empty_text_error(exc):
            raise InvalidRecord("missing_text", "text is empty after normalisation") from exc
        raise InvalidRecord("schema_error", _describe(exc)) from exc
    if detect_later:
        # Read from the validated, i.e. normalised, text.
        post = post.model_copy(update={"language": detect_language(post.text)})
    return post


def _raw(record: Mapping[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The record to keep as ``raw``: only when it can be written back out (UTF-8, not nested
    deeper than `MAX_JSON_DEPTH` minus the post around it) and is small enough."""
    if json_depth(record) > MAX_JSON_DEPTH - 8:
        return None, True
    try:
        size = len(json.dumps(record, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        return None, True
    if size > RAW_MAX_BYTES:
        return None, True
    return dict(record), False


def _describe(exc: ValidationError) -> str:
    """`field: message` per error, without echoing the (possibly huge) input."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(step) for step in error["loc"])
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)
