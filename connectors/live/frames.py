"""Small pure helpers shared by the normalisers: decoding a frame, reading typed fields, building
a `Post` with the errors translated into `InvalidRecord`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from models.dead_letters import DeadLetterReason
from models.errors import InvalidRecord
from models.records import RAW_MAX_BYTES, Post


def decode_json(data: bytes) -> Any:
    """The JSON value of `data`. Raises `InvalidRecord` (``invalid_utf8``, ``malformed_json``)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord("invalid_utf8", f"byte {exc.start}: {exc.reason}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRecord(
            "malformed_json", f"line {exc.lineno} col {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise InvalidRecord("malformed_json", "nested too deeply") from exc


def decode_object(data: bytes) -> dict[str, Any]:
    """`decode_json` that must give a JSON object (else ``schema_error``)."""
    value = decode_json(data)
    if not isinstance(value, dict):
        raise InvalidRecord("schema_error", f"expected a JSON object, got {type(value).__name__}")
    return value


def field(obj: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    """``obj[name]``, which must exist and be of `kind` (``schema_error`` otherwise)."""
    value = obj.get(name)
    if value is None or (isinstance(value, bool) and bool not in _kinds(kind)):
        raise InvalidRecord("schema_error", f"{where}{name} is missing")
    if not isinstance(value, kind):
        raise InvalidRecord(
            "schema_error", f"{where}{name} must be {_names(kind)}, got {type(value).__name__}"
        )
    return value


def optional(obj: Any, *path: str) -> Any:
    """The value at `path` inside nested mappings, or None wherever the shape does not fit."""
    for step in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(step)
    return obj


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` allowed) as an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def raw_payload(value: Mapping[str, Any], **extra: Any) -> tuple[dict[str, Any], bool]:
    """``({**extra, "frame": value}, False)`` when it fits in `RAW_MAX_BYTES`, else
    ``(extra, True)``: the raw frame is dropped, the extracted extras are kept."""
    payload = {**extra, "frame": dict(value)}
    try:
        size = len(json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError):
        return dict(extra), True
    if size > RAW_MAX_BYTES:
        return dict(extra), True
    return payload, False


def build_post(**fields: Any) -> Post:
    """`Post(**fields)`; a validation error becomes ``missing_text`` (blank text) or
    ``schema_error`` naming the fields."""
    text = fields.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRecord("missing_text", "the post has no text")
    try:
        return Post(**fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(s) for s in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        reason: DeadLetterReason = "missing_text" if "text is empty" in problems else "schema_error"
        raise InvalidRecord(reason, problems) from exc


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _names(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _kinds(kind))
