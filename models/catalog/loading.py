"""Reading and writing narrative catalogs: YAML files or folders, CheckThat! ``vclaims.jsonl``,
ClaimReview JSON-LD.

Contracts:
- `load_catalog(path)` reads a ``.yaml``/``.yml`` file, a folder of them (one narrative or one
  collection per file), or a ``.jsonl`` file (CheckThat! vclaims or one narrative per line). It
  raises `CatalogError` whose problems name the file, the LINE and the field
  (``catalog.yaml:12: narratives[1].severity: Input should be 'low', ...``).
- YAML is parsed with the C loader; line numbers are only computed (by composing the YAML node
  tree) when validation fails, so valid catalogs pay nothing for them.
- Large files (10^4-10^6 narratives) are first-class: CheckThat! JSONL is built without per-item
  pydantic validation (its shape is fixed and checked cheaply), and big YAML files are cached as a
  pickle keyed by the file's SHA-256 when a ``cache_dir`` is given.
- `CatalogStore.reload()` swaps in a new catalog only if it is valid; on error it keeps the old one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import pickle
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.catalog.schema import (
    Catalog,
    CatalogError,
    CatalogFile,
    FactCheck,
    Narrative,
    content_version,
)
from models.records import Verdict

logger = logging.getLogger(__name__)

_YAML_SUFFIXES = (".yaml", ".yml")
_PICKLE_MIN_BYTES = 1_000_000
_PICKLE_SCHEMA = b"narrative-v2:"
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_catalog(path: Path, cache_dir: Path | None = None) -> Catalog:
    """Load and validate a catalog from a file or a folder. Raises `CatalogError`."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in _YAML_SUFFIXES and p.is_file())
        if not files:
            raise CatalogError([f"{path}: no *.yaml files in folder"])
        parts: list[Catalog] = []
        problems: list[str] = []
        for file in files:
            try:
                parts.append(_load_file(file, cache_dir))
            except CatalogError as exc:
                problems.extend(exc.problems)
        if problems:
            raise CatalogError(problems)
        return Catalog.merge(path.name, parts)
    if not path.is_file():
        raise CatalogError([f"{path}: no such file or folder"])
    return _load_file(path, cache_dir)


def _load_file(path: Path, cache_dir: Path | None) -> Catalog:
    raw = path.read_bytes()
    if path.suffix == ".jsonl":
        return _load_jsonl(path, raw)
    if path.suffix not in _YAML_SUFFIXES:
        raise CatalogError([f"{path}: unsupported catalog file type (want .yaml, .yml, .jsonl)"])
    cached = _cache_path(cache_dir, raw) if len(raw) >= _PICKLE_MIN_BYTES else None
    if cached is not None and cached.exists():
        with cached.open("rb") as handle:
            catalog: Catalog = pickle.load(handle)
        return catalog
    catalog = _load_yaml(path, raw)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            pickle.dump(catalog, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cached)
    return catalog


def _cache_path(cache_dir: Path | None, raw: bytes) -> Path | None:
    if cache_dir is None:
        return None
    # the schema tag changes when `Narrative` gains a field, so stale pickles are never loaded
    digest = hashlib.sha256(_PICKLE_SCHEMA + raw).hexdigest()
    return Path(cache_dir) / "catalogs" / f"{digest}.pickle"


def _load_yaml(path: Path, raw: bytes) -> Catalog:
    text = raw.decode("utf-8")
    try:
        data = yaml.load(text, Loader=_Loader)
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
    if isinstance(parsed, CatalogFile):
        return Catalog(
            name=parsed.catalog,
            narratives=parsed.narratives,
            description=parsed.description,
            sources=(str(path),),
        )
    return Catalog(name=parsed.id, narratives=(parsed,), sources=(str(path),))


def _located_errors(path: Path, text: str, exc: ValidationError) -> list[str]:
    root = yaml.compose(text, Loader=_Loader)
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        line = _line_of(root, loc)
        problems.append(f"{path}:{line}: {_dotted(loc)}: {error['msg']}")
    return problems


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
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


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


# -- JSONL -------------------------------------------------------------------------------------


def _load_jsonl(path: Path, raw: bytes) -> Catalog:
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
                    f"{path}:{lineno}: {_dotted(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()
                )
    if problems:
        raise CatalogError(problems)
    version = hashlib.sha256(raw).hexdigest()[:16]
    return Catalog(
        name=path.stem, narratives=tuple(narratives), sources=(str(path),), version=version
    )


def vclaim_narrative(record: dict[str, Any]) -> Narrative | None:
    """A CheckThat! verified claim as a narrative: the claim text, title and subtitle are its
    exemplars. Built with `model_construct` (no per-item validation) because its shape is fixed."""
    claim_id = str(record.get("vclaim_id") or "").strip()
    claim = str(record.get("vclaim") or "").strip()
    if not claim_id or not claim:
        return None
    exemplars = [claim]
    for extra in (record.get("title"), record.get("subtitle")):
        text = str(extra or "").strip()
        if text and text not in exemplars:
            exemplars.append(text)
    return Narrative.model_construct(
        id=claim_id,
        title=str(record.get("title") or claim)[:300],
        summary=claim,
        why_tracked="Previously fact-checked claim (CheckThat! verified claims).",
        verdict="false",
        severity="medium",
        tags=("checkthat",),
        languages=("en",),
        exemplars=tuple(exemplars),
        counter_exemplars=(),
        keywords=(),
        required_terms=(),
        fact_checks=(),
        threshold=None,
        status="active",
        updated_at=None,
        claim_date=_vclaim_date(record.get("date")),
    )


def _vclaim_date(value: object) -> dt.date | None:
    """CheckThat! writes ``26 May 2015``; anything else (or nothing) is no date."""
    text = str(value or "").strip()
    for fmt in ("%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%B %d, %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# -- ClaimReview -------------------------------------------------------------------------------

_RATING_VERDICTS: dict[str, Verdict] = {
    "false": "false",
    "pants on fire": "false",
    "fake": "false",
    "incorrect": "false",
    "mostly false": "misleading",
    "misleading": "misleading",
    "half true": "misleading",
    "mixture": "misleading",
    "missing context": "misleading",
    "out of context": "misleading",
    "unproven": "unproven",
    "unverified": "unproven",
    "unsupported": "unproven",
}


def _claim_reviews(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _claim_reviews(item)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _claim_reviews(data["@graph"])
        elif data.get("@type") == "ClaimReview" or "claimReviewed" in data:
            yield data


def slugify(text: str, max_length: int = 80) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "narrative"


def claimreview_narratives(data: Any) -> list[Narrative]:
    """Narratives from ClaimReview JSON-LD (an object, a list, or an ``@graph``)."""
    out: list[Narrative] = []
    seen: set[str] = set()
    for review in _claim_reviews(data):
        claim = str(review.get("claimReviewed") or "").strip()
        if not claim:
            continue
        rating = review.get("reviewRating") or {}
        rating_text = str(rating.get("alternateName") or rating.get("name") or "").strip()
        author = review.get("author") or {}
        publisher = author.get("name") if isinstance(author, dict) else None
        url = str(review.get("url") or "")
        base = slugify(url.rstrip("/").rsplit("/", 1)[-1] if url else claim)
        slug, n = base, 1
        while slug in seen:
            n += 1
            slug = f"{base}-{n}"
        seen.add(slug)
        fact_checks = (
            (FactCheck(url=url, publisher=publisher, rating=rating_text or None,
                       date=str(review.get("datePublished") or "")[:10] or None),)
            if url else ()
        )  # fmt: skip
        out.append(
            Narrative(
                id=slug,
                title=claim[:200],
                summary=claim,
                why_tracked=f"Rated '{rating_text or 'unrated'}' by {publisher or 'a checker'}",
                verdict=_RATING_VERDICTS.get(rating_text.lower(), "false"),
                exemplars=(claim,),
                fact_checks=fact_checks,
            )
        )
    return out


def read_import_source(path: Path) -> list[Narrative]:
    """Narratives from a ClaimReview JSON/JSON-LD file or a CheckThat! vclaims JSONL file."""
    if path.suffix == ".jsonl":
        return list(_load_jsonl(path, path.read_bytes()).narratives)
    return claimreview_narratives(json.loads(path.read_text(encoding="utf-8")))


def dump_catalog_yaml(name: str, narratives: list[Narrative], description: str = "") -> str:
    """A collection file for `narratives` that `load_catalog` reads back to the same content."""
    body = {
        "catalog": name,
        "description": description,
        "narratives": [n.model_dump(mode="json", exclude_defaults=True) for n in narratives],
    }
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(body, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)


class CatalogStore:
    """Holds the catalog in use. `reload()` replaces it only with a valid catalog.

    Thread-safe: readers call `current` and get one consistent `Catalog`.
    """

    def __init__(self, path: Path, cache_dir: Path | None = None) -> None:
        self.path = Path(path)
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._current = load_catalog(self.path, cache_dir)
        self.last_error: CatalogError | None = None

    @property
    def current(self) -> Catalog:
        return self._current

    def reload(self) -> bool:
        """Re-read the catalog. True if a new version was installed; False if unchanged or
        invalid (then the old catalog stays and `last_error` says why)."""
        try:
            fresh = load_catalog(self.path, self.cache_dir)
        except CatalogError as exc:
            logger.error("catalog %s invalid, keeping version %s: %s", self.path,
                         self._current.version, exc)  # fmt: skip
            self.last_error = exc
            return False
        self.last_error = None
        with self._lock:
            if fresh.version == self._current.version:
                return False
            logger.info("catalog %s: version %s -> %s", self.path, self._current.version,
                        fresh.version)  # fmt: skip
            self._current = fresh
        return True


__all__ = [
    "CatalogStore",
    "claimreview_narratives",
    "content_version",
    "dump_catalog_yaml",
    "load_catalog",
    "read_import_source",
    "vclaim_narrative",
]
