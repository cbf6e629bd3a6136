"""Hypothesis strategies for hostile records: arbitrary bytes and JSON, post-shaped objects with
extreme values, deep nesting, NUL and lone surrogates, sizes around the limits."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Every code point, lone surrogates (category Cs) and NUL included.
any_char = st.characters(codec=None, exclude_categories=())
hostile_text = st.text(any_char, max_size=40) | st.sampled_from(
    ["", " ", "\x00", "\ud800", "a\udfffb", "\u200b\u2028", "\ufeff", "🗳️" * 5, "\x00" * 8]
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63, -(2**63) - 1, 10**400, 2**64])
    | st.floats(allow_nan=True, allow_infinity=True)
    | hostile_text
)
any_json = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4)
    ),
    max_leaves=20,
)

extreme_dates = st.sampled_from(
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:59:59Z",
        "2024-02-30T00:00:00Z",
        "1970-01-01",
        "-1",
        "1e30",
        "",
        "2024-11-05T10:00:00.123456789+05:30",
    ]
) | st.integers(min_value=-(2**70), max_value=2**70)


def nested(depth: int, kind: str) -> str:
    """``depth`` levels of arrays or objects as JSON text (no recursion needed to build it)."""
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@st.composite
def post_shaped(draw: st.DrawFn) -> dict[str, Any]:
    """A dict that looks like a post, with any field replaced by something hostile."""
    obj: dict[str, Any] = {
        "id": draw(st.sampled_from(["x:1", "x:" + "9" * 600]) | hostile_text),
        "platform": draw(st.just("x") | hostile_text),
        "source": draw(st.just("fuzz") | hostile_text),
        "text": draw(st.just("the election was stolen") | hostile_text | any_json),
        "created_at": draw(extreme_dates),
    }
    if draw(st.booleans()):
        obj["author"] = {
            "id": draw(hostile_text),
            "followers": draw(st.integers() | st.sampled_from([2**63, 10**400])),
        }
    if draw(st.booleans()):
        obj["engagement"] = {"likes": draw(json_scalars)}
    if draw(st.booleans()):
        obj["raw"] = draw(any_json)
    if draw(st.booleans()):
        obj["ingested_at"] = draw(extreme_dates)
    if draw(st.booleans()):
        obj["part"] = {"parent_id": "x:1", "index": draw(st.integers()), "count": 2**80}
    return obj


def to_bytes(obj: Any) -> bytes:
    """JSON bytes; lone surrogates become ``\\udXXX`` escapes (how they arrive on a topic)."""
    return json.dumps(obj, ensure_ascii=True).encode("ascii")


posts_records = st.one_of(
    st.binary(max_size=300),
    any_json.map(to_bytes),
    post_shaped().map(to_bytes),
    st.tuples(st.integers(1, 3000), st.sampled_from(["array", "object"])).map(
        lambda t: nested(*t).encode()
    ),
    st.builds(
        lambda depth: (
            to_bytes(
                {
                    "id": "x:1",
                    "platform": "x",
                    "source": "s",
                    "text": "t",
                    "created_at": "2024-01-01",
                }
            )[:-1]
            + b', "raw": '
            + nested(depth, "object").encode()
            + b"}"
        ),
        st.integers(1, 400),
    ),
)
