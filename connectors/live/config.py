"""The file of ``narrmon connectors run``: several live sources in one YAML file.

```yaml
sources:
  - name: bluesky-election        # checkpoint and metric name; unique
    kind: bluesky                 # bluesky | mastodon | rss | x | telegram
    options: {rewind_s: 5}        # the kind's options (same names as its CLI options' models)
    keyword: [ballot, election]   # optional filters, as --keyword/--lang/--account
    lang: [en]
    account: []
```

A file that does not validate fails fast with the file, line and field (`SourcesFileError`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.live.registry import SOURCE_KINDS, options_model


class SourcesFileError(ValueError):
    """A connectors file that cannot be used; the message names file, line and field."""


class SourceSpec(BaseModel):
    """One source of a connectors file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    kind: str
    options: dict[str, Any] = Field(default_factory=dict)
    keyword: tuple[str, ...] = ()
    lang: tuple[str, ...] = ()
    account: tuple[str, ...] = ()

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SOURCE_KINDS:
            raise ValueError(f"unknown kind {value!r}; one of {', '.join(SOURCE_KINDS)}")
        return value


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: tuple[SourceSpec, ...] = Field(min_length=1)


def load_sources_file(path: Path) -> list[SourceSpec]:
    """Parse and validate `path` (each spec's options against its kind's model). Raises
    `SourcesFileError`."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise SourcesFileError(f"{path}: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise SourcesFileError(f"{path}:{line} not valid YAML: {exc}") from exc
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise _error(path, node, exc, ()) from exc
    names = set()
    for index, spec in enumerate(parsed.sources):
        if spec.name in names:
            raise _error(path, node, None, ("sources", index, "name"), "duplicate name")
        names.add(spec.name)
        try:
            options_model(spec.kind).model_validate(spec.options)
        except ValidationError as exc:
            raise _error(path, node, exc, ("sources", index, "options")) from exc
    return list(parsed.sources)


def _error(
    path: Path,
    node: yaml.Node | None,
    exc: ValidationError | None,
    prefix: tuple[str | int, ...],
    message: str = "",
) -> SourcesFileError:
    loc: tuple[str | int, ...] = prefix
    if exc is not None:
        first = exc.errors(include_url=False)[0]
        loc = prefix + tuple(first["loc"])
        message = first["msg"]
    line = _line(node, loc)
    where = f"{path}:{line}" if line else str(path)
    field = ".".join(str(step) for step in loc) or "(file)"
    return SourcesFileError(f"{where}: {field}: {message}")


def _line(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest node of `loc` found in the composed YAML."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            child = node.value[step] if step < len(node.value) else None
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
