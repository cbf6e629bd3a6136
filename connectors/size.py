"""The oversize rule: split long articles at paragraph boundaries, reject long short-form posts.

Pure functions; see the `connectors` package docstring for the rule as users see it.
`refuse_oversized` is the one check of a text against the limit: connectors (short-form posts)
and the worker's intake (every post read from the posts topic) both call it.
"""

from __future__ import annotations

import re

from connectors.base import OversizePolicy
from models.errors import InvalidRecord
from models.records import Part, Post

# Boundaries from coarsest to finest: paragraph, line, sentence, word.
_SEPARATORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\n\s*\n"), "\n\n"),
    (re.compile(r"\n"), "\n"),
    (re.compile(r"(?<=[.!?…])\s+"), " "),
    (re.compile(r"\s+"), " "),
)


def split_text(text: str, max_chars: int) -> list[str]:
    """Split `text` into chunks of at most `max_chars` characters, cutting at the coarsest boundary
    that works (paragraph, then line, sentence, word; a single word longer than the limit is cut
    hard). Chunks are stripped and non-empty; joining them loses only whitespace at the cuts.
    Text within the limit comes back as one chunk. Raises ValueError for ``max_chars < 1``.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    text = text.strip()
    if not text:
        return []
    return _split(text, max_chars, 0)


def _split(text: str, max_chars: int, level: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    if level >= len(_SEPARATORS):
        return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
    pattern, joiner = _SEPARATORS[level]
    units: list[str] = []
    for piece in pattern.split(text):
        unit = piece.strip()
        if not unit:
            continue
        units.extend(_split(unit, max_chars, level + 1) if len(unit) > max_chars else [unit])
    # Greedy packing keeps parts as large as allowed, so the part count stays small.
    chunks: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}{joiner}{unit}" if current else unit
        if len(candidate) <= max_chars:
            current = candidate
        else:
            chunks.append(current)
            current = unit
    if current:
        chunks.append(current)
    return chunks


def refuse_oversized(text: str, max_chars: int, *, source: str | None = None) -> None:
    """Raise `InvalidRecord` (reason ``oversized``) when normalised `text` has more than
    `max_chars` characters; `source` is passed on to the error. Returns None otherwise."""
    if len(text) > max_chars:
        raise InvalidRecord(
            "oversized", f"text has {len(text)} characters, the limit is {max_chars}", source=source
        )


def part_id(parent_id: str, index: int) -> str:
    """The id of part `index` (from 0) of post `parent_id`: ``{parent}#p{index}``."""
    return f"{parent_id}#p{index}"


def enforce_size(post: Post, max_chars: int, policy: OversizePolicy) -> list[Post]:
    """Apply the oversize rule to one normalised post.

    Within the limit: ``[post]`` unchanged. Over it, with ``policy="split"``: one post per chunk of
    `split_text`, ids ``{post.id}#p{i}``, ``part=Part(parent_id=post.id, index=i, count=n)``, every
    other field copied. With ``policy="reject"``: raises `InvalidRecord` (`refuse_oversized`).
    """
    if len(post.text) <= max_chars:
        return [post]
    if policy == "reject":
        refuse_oversized(post.text, max_chars)
    chunks = split_text(post.text, max_chars)
    count = len(chunks)
    return [
        post.model_copy(
            update={
                "id": part_id(post.id, index),
                "text": chunk,
                "part": Part(parent_id=post.id, index=index, count=count),
            }
        )
        for index, chunk in enumerate(chunks)
    ]
