"""Where in a catalog file something is: lines for pydantic error locations, repeated ids.

Contracts:
- `line_of(root, loc)`: the 1-based line of the deepest YAML node reachable along a pydantic
  error location (``("narratives", 2, "severity")``); `dotted(loc)` writes the location as a
  field path (``narratives[2].severity``).
- `duplicate_problems(files)`: for narrative ids defined more than once, within one file or
  across files, one ``file:line: field: duplicate narrative id 'x' (first at file:line)`` per
  repeat. `files` lists each file with its narratives' ids in file order. Lines are only looked
  up (by reading the files again) when there is a repeat, so valid catalogs pay nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """1-based line of the deepest YAML node reachable along a pydantic error location."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    node = value_node
                    # a missing/invalid value is reported at its key's line
                    line = key_node.start_mark.line + 1
                    if not isinstance(value_node, yaml.ScalarNode) or value_node.value:
                        line = value_node.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return line
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def duplicate_problems(files: Sequence[tuple[Path, Sequence[str]]]) -> list[str]:
    """``file:line: field: ...`` for every repeated narrative id (see module docstring)."""
    first: dict[str, tuple[Path, int]] = {}
    repeats: list[tuple[str, Path, int]] = []
    for path, ids in files:
        for index, narrative_id in enumerate(ids):
            if narrative_id in first:
                repeats.append((narrative_id, path, index))
            else:
                first[narrative_id] = (path, index)
    if not repeats:
        return []
    located: dict[Path, list[tuple[int, str]]] = {}

    def where(path: Path, index: int) -> tuple[int, str]:
        if path not in located:
            located[path] = _id_locations(path)
        found = located[path]
        return found[index] if index < len(found) else (1, "id")

    problems = []
    for narrative_id, path, index in repeats:
        line, field = where(path, index)
        first_path, first_index = first[narrative_id]
        first_line, _ = where(first_path, first_index)
        problems.append(
            f"{path}:{line}: {field}: duplicate narrative id {narrative_id!r} "
            f"(first at {first_path}:{first_line})"
        )
    return problems


def _id_locations(path: Path) -> list[tuple[int, str]]:
    """(line, field) of each narrative's id in `path`, in file order."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        return [(n, "id") for n in lines]
    root = yaml.compose(text, Loader=YamlLoader)
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if key_node.value == "narratives" and isinstance(value_node, yaml.SequenceNode):
                return [
                    (line_of(root, ("narratives", i, "id")), f"narratives[{i}].id")
                    for i in range(len(value_node.value))
                ]
    return [(line_of(root, ("id",)), "id")]
