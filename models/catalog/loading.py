"""Reading narrative catalogs: YAML files or folders and JSONL files.

Contracts:
- `load_catalog(path)` reads a ``.yaml``/``.yml`` file, a folder of them (one narrative or one
  collection per file), or a ``.jsonl`` file (CheckThat! vclaims or one narrative per line). It
  raises `CatalogError` whose problems name the file, the LINE and the field
  (``catalog.yaml:12: narratives[1].severity: Input should be 'low', ...``).
- YAML is parsed with the C loader; line numbers are only computed (by composing the YAML node
  tree) when validation fails, so valid catalogs pay nothing for them.
- Large files (10^4-10^6 narratives) are first-class: CheckThat! JSONL is built without per-item
  pydantic validation (its shape is fixed and checked cheaply, `models.catalog.vclaims`), and big
  YAML files are cached as JSON keyed by the SHA-256 of a schema tag and the file's bytes when a
  ``cache_dir`` is given (``<cache_dir>/catalogs/<sha256>.json``). A cache entry is validated like
  any input when read (JSON, never pickle: a cache file cannot run code), and one that does not
  validate is ignored and rewritten. Editing the file, or changing `Narrative` (bump
  `_CACHE_SCHEMA`), changes the key, so a stale entry is never read.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from models.catalog.locations import YamlLoader, dotted, duplicate_problems, line_of
from models.catalog.schema import Catalog, CatalogError, CatalogFile, Narrative
from models.catalog.vclaims import vclaim_narrative
from models.files import write_atomic

logger = logging.getLogger(__name__)

_YAML_SUFFIXES = (".yaml", ".yml")
_CACHE_MIN_BYTES = 1_000_000
_CACHE_SCHEMA = b"narrative-v3-json:"


class _CachedCatalog(BaseModel):
    """The JSON form of a cached `Catalog`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    sources: tuple[str, ...]
    version: str
    narratives: tuple[Narrative, ...]


def load_catalog(path: Path, cache_dir: Path | None = None) -> Catalog:
    """Load and validate a catalog from a file or a folder. Raises `CatalogError`."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in _YAML_SUFFIXES and p.is_file())
        if not files:
            raise CatalogError([f"{path}: no *.yaml files in folder"])
        parts: list[tuple[Path, Catalog]] = []
        problems: list[str] = []
        for file in files:
            try:
                parts.append((file, _load_file(file, cache_dir)))
            except CatalogError as exc:
                problems.extend(exc.problems)
        if problems:
            raise CatalogError(problems)
        _check_unique_ids([(file, part.narratives) for file, part in parts])
        return Catalog.merge(path.name, (part for _, part in parts))
    if not path.is_file():
        raise CatalogError([f"{path}: no such file or folder"])
    return _load_file(path, cache_dir)


def _load_file(path: Path, cache_dir: Path | None) -> Catalog:
    raw = path.read_bytes()
    if path.suffix == ".jsonl":
        return load_jsonl(path, raw)
    if path.suffix not in _YAML_SUFFIXES:
        raise CatalogError([f"{path}: unsupported catalog file type (want .yaml, .yml, .jsonl)"])
    cached = _cache_path(cache_dir, raw) if len(raw) >= _CACHE_MIN_BYTES else None
    if cached is not None:
        hit = _read_cache(cached)
        if hit is not None:
            return hit
    catalog = _load_yaml(path, raw)
    if cached is not None:
        entry = _CachedCatalog(
            name=catalog.name,
            description=catalog.description,
            sources=catalog.sources,
            version=catalog.version,
            narratives=catalog.narratives,
        )
        try:
            write_atomic(cached, entry.model_dump_json())
        except OSError as exc:  # a cache that cannot be written only costs time
            logger.warning("could not cache catalog %s at %s: %s", path, cached, exc)
    return catalog


def _cache_path(cache_dir: Path | None, raw: bytes) -> Path | None:
    if cache_dir is None:
        return None
    # the schema tag changes when `Narrative` gains a field, so stale entries are never loaded
    digest = hashlib.sha256(_CACHE_SCHEMA + raw).hexdigest()
    return Path(cache_dir) / "catalogs" / f"{digest}.json"


def _read_cache(cached: Path) -> Catalog | None:
    """The catalog in `cached`, or None when it is missing or does not validate."""
    try:
        entry = _CachedCatalog.model_validate_json(cached.read_bytes())
        return Catalog(
            name=entry.name,
            narratives=entry.narratives,
            description=entry.description,
            sources=entry.sources,
            version=entry.version,
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # ValidationError and CatalogError are ValueErrors
        logger.warning("ignoring unreadable catalog cache %s: %s", cached, exc)
        return None


def _load_yaml(path: Path, raw: bytes) -> Catalog:
    text = raw.decode("utf-8")
    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "?"
        raise CatalogError([f"{path}:{line}: YAML syntax: {exc}"]) from exc
    if isinstance(data, dict) and "narratives" in data:
        model: type[CatalogFile] | type[Narrative] = CatalogFile
    elif isinstance(data, dict) and "id" in data:
        model = Narrative
    else:
        raise CatalogError([f"{path}:1: expected a narrative or a mapping with 'narratives'"])
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(_located_errors(path, text, exc)) from exc
    narratives = parsed.narratives if isinstance(parsed, CatalogFile) else (parsed,)
    _check_unique_ids([(path, narratives)])
    if isinstance(parsed, CatalogFile):
        return Catalog(
            name=parsed.catalog,
            narratives=parsed.narratives,
            description=parsed.description,
            sources=(str(path),),
        )
    return Catalog(name=parsed.id, narratives=(parsed,), sources=(str(path),))


def _located_errors(path: Path, text: str, exc: ValidationError) -> list[str]:
    root = yaml.compose(text, Loader=YamlLoader)
    located = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        located.append((line_of(root, loc), f"{dotted(loc)}: {error['msg']}"))
    located.sort(key=lambda found: found[0])  # file order; stable within a line
    return [f"{path}:{line}: {message}" for line, message in located]


def load_jsonl(path: Path, raw: bytes) -> Catalog:
    """A catalog from the bytes of a ``.jsonl`` file: CheckThat! vclaims or one narrative per
    line. Raises `CatalogError` naming ``file:line`` for each bad line."""
    narratives: list[Narrative] = []
    problems: list[str] = []
    for lineno, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{lineno}: invalid JSON: {exc.msg}")
            continue
        if "vclaim_id" in record:
            narrative = vclaim_narrative(record)
            if narrative is None:
                problems.append(f"{path}:{lineno}: vclaim: missing vclaim_id or vclaim text")
                continue
            narratives.append(narrative)
        else:
            try:
                narratives.append(Narrative.model_validate(record))
            except ValidationError as exc:
                problems.extend(
                    f"{path}:{lineno}: {dotted(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()
                )
    if problems:
        raise CatalogError(problems)
    _check_unique_ids([(path, narratives)])
    version = hashlib.sha256(raw).hexdigest()[:16]
    return Catalog(
        name=path.stem, narratives=tuple(narratives), sources=(str(path),), version=version
    )


def _check_unique_ids(files: Sequence[tuple[Path, Sequence[Narrative]]]) -> None:
    """Raise `CatalogError` naming file:line: field of every repeated narrative id."""
    problems = duplicate_problems([(file, [n.id for n in found]) for file, found in files])
    if problems:
        raise CatalogError(problems)


__all__ = ["load_catalog", "load_jsonl"]
