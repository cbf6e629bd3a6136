"""Apply a `Suggestion` to catalog YAML text and show it as a unified diff. Pure.

The original text is edited by LINE (ruamel.yaml's round-trip parser only says where each key and
item sits), so the diff shows exactly the suggested lines: re-dumping the whole file would
re-flow long lines and flow sequences elsewhere. The analyst applies the diff (``patch -p0``,
or by hand), then validates and publishes the catalog.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from ruamel.yaml import YAML

from pipeline.feedback.suggest import Suggestion


def _locate(root: Any, narrative_id: str) -> tuple[Any, int]:
    """The narrative's mapping node and the line (0-based) where the next one begins (or -1)."""
    if isinstance(root, dict) and root.get("id") == narrative_id:
        return root, -1
    items: Any = root.get("narratives") if isinstance(root, dict) else None
    for i, item in enumerate(items or ()):
        if isinstance(item, dict) and item.get("id") == narrative_id:
            end = items.lc.item(i + 1)[0] if i + 1 < len(items) else -1
            return item, end
    raise KeyError(narrative_id)


def _end_of_key(node: Any, key: str, narrative_end: int, lines: list[str]) -> int:
    """The line index just after `key`'s value (before trailing blank or comment lines)."""
    keys = list(node.keys())
    after = keys.index(key) + 1
    end = node.lc.key(keys[after])[0] if after < len(keys) else narrative_end
    end = len(lines) if end < 0 else end
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def _items(texts: tuple[str, ...], indent: int) -> list[str]:
    return [f"{' ' * indent}- {json.dumps(text, ensure_ascii=False)}\n" for text in texts]


def apply_suggestion(text: str, suggestion: Suggestion) -> str:
    """`text` with the suggestion's exemplars and near-misses appended and its threshold
    set. Raises KeyError when the narrative is not in `text`."""
    root = YAML(typ="rt").load(text)
    node, narrative_end = _locate(root, suggestion.narrative_id)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    key_col = node.lc.key("id")[1]
    edits: list[tuple[int, list[str], bool]] = []  # (line, new lines, replace that line)
    for key, new in (
        ("exemplars", suggestion.exemplars),
        ("near_misses", suggestion.near_misses),
    ):
        if not new:
            continue
        seq = node.get(key)
        if seq and not seq.fa.flow_style():
            dash = seq.lc.item(0)[1] - 2
            edits.append((_end_of_key(node, key, narrative_end, lines), _items(new, dash), False))
        else:
            block = [f"{' ' * key_col}{key}:\n", *_items(new, key_col + 2)]
            for text_ in seq or ():  # a flow list (or an empty one) becomes a block list
                block.insert(1, _items((str(text_),), key_col + 2)[0])
            if seq is not None:
                line = node.lc.key(key)[0]
                edits.append((line, block, True))
            else:
                edits.append((_end_of_key(node, "exemplars", narrative_end, lines), block, False))
    if suggestion.threshold is not None:
        line = f"{' ' * key_col}threshold: {suggestion.threshold}\n"
        if "threshold" in node:
            edits.append((node.lc.key("threshold")[0], [line], True))
        else:
            last = list(node.keys())[-1]
            edits.append((_end_of_key(node, last, narrative_end, lines), [line], False))
    # bottom-up, so earlier line numbers stay valid; at one line, the later edit goes first so the
    # earlier one ends up above it
    for _, (at, new_lines, replace) in sorted(enumerate(edits), key=lambda e: (e[1][0], e[0]))[
        ::-1
    ]:
        lines[at : at + (1 if replace else 0)] = new_lines
    return "".join(lines)


def unified_diff(before: str, after: str, path: str) -> str:
    """A unified diff of one file (``--- path`` / ``+++ path``); empty when nothing changed."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), path, path
    )
    return "".join(lines)
