"""Bounds every record must respect so that it can always be written back out. Pure.

A record narrmon accepted is serialised again later (a `Post` into a `Hit` on the hits topic, a
hit into Elasticsearch, a refused record into a dead letter). Python's JSON reader and pydantic
accept inputs their own writers or Elasticsearch then refuse, so the parsers check these bounds
up front and refuse the record instead of letting a later step fail on it:

- nesting: pydantic's JSON reader stops at about 200 levels and its writer at a few hundred, and
  Python's ``json`` raises `RecursionError` near 1,000; a `Hit` nests a post's ``raw`` four levels
  down. `MAX_JSON_DEPTH` leaves room for that.
- lone surrogates (``"\\ud800"`` escapes decode into a Python ``str`` that UTF-8 cannot encode):
  `encodable` turns them into visible escapes where text is only reported (errors, labels).
- counts (followers, likes...) above `MAX_COUNT` do not fit Elasticsearch's ``long``.
"""

from __future__ import annotations

from typing import Any

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays/objects a record may have (the top-level object is depth 1)."""

MAX_COUNT = 2**63 - 1
"""Largest engagement or follower count (Elasticsearch ``long``)."""


def json_depth(value: Any, *, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0, ``{}`` is 1), counted without
    recursion; stops counting at ``limit + 1`` (so a hostile value costs O(limit) memory)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children if isinstance(child, (dict, list)))
    return deepest


def encodable(text: str, limit: int | None = None) -> str:
    """`text` (cut to ``limit`` characters) with anything UTF-8 cannot encode (lone surrogates)
    written as a backslash escape, so it can go into JSON, a Kafka key or a metric label."""
    if limit is not None:
        text = text[:limit]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
