"""The narrative catalog: what narratives are tracked and how people phrase them.

Pure data and validation; reading files lives in `models.catalog.loading`. A catalog is a list of
`Narrative`s plus a content-hash `version` that changes when (and only when) the validated content
changes: reformatting YAML or reordering keys does not change it, editing an exemplar does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from models.errors import ModelError
from models.records import FactCheckLink, NarrativeRef, Severity, Verdict

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=200)]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Status = Literal["active", "retired"]
# a language tag as analysts write it: ISO 639 code, optional BCP 47 subtags ("en", "pt-BR")
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)
# dates up to a day ahead pass (time zones); later ones are typos ("2205-01-04")
_FUTURE_SLACK = dt.timedelta(days=1)


def _http_url(value: str) -> str:
    """An absolute http(s) URL with a host, kept as written (no normalisation, so catalog
    versions do not move)."""
    value = value.strip()
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError:
        raise ValueError("must be an absolute http(s) URL, like https://example.org/a") from None
    if any(c.isspace() for c in value):
        raise ValueError("must be an absolute http(s) URL without spaces")
    return value


def _not_future(value: dt.date | None) -> dt.date | None:
    if value is not None and value > dt.date.today() + _FUTURE_SLACK:
        raise ValueError(f"{value.isoformat()} is in the future")
    return value


def is_http_url(value: str) -> bool:
    """Whether a fact check may carry `value` as its URL."""
    try:
        _http_url(value)
    except ValueError:
        return False
    return True


HttpUrlText = Annotated[str, AfterValidator(_http_url)]
PastDate = Annotated[dt.date | None, AfterValidator(_not_future)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FactCheck(_Strict):
    """One published fact check (a ClaimReview subset)."""

    url: HttpUrlText
    publisher: str | None = None
    rating: str | None = None
    date: PastDate = None


class Narrative(_Strict):
    """One tracked narrative. `exemplars` are phrasings as people post them (at least one);
    `counter_exemplars` are phrasings that refute it (a refuting post is still a hit, with stance
    `debunks`); `near_misses` are on-topic posts that make no claim of it (logistics, news,
    thanks): a post closer to a near-miss than to any exemplar is less likely a hit."""

    id: Slug
    title: NonEmpty
    summary: str = ""
    why_tracked: str = ""
    verdict: Verdict = "false"
    severity: Severity = "medium"
    tags: tuple[NonEmpty, ...] = ()
    languages: tuple[Language, ...] = Field(default=("en",), min_length=1)
    exemplars: tuple[NonEmpty, ...] = Field(min_length=1)
    counter_exemplars: tuple[NonEmpty, ...] = ()
    near_misses: tuple[NonEmpty, ...] = ()
    keywords: tuple[NonEmpty, ...] = ()
    required_terms: tuple[NonEmpty, ...] = ()
    fact_checks: tuple[FactCheck, ...] = ()
    # strict: YAML's `yes`/`"0.5"` would otherwise pass as 1.0 / 0.5; NaN and inf are refused
    threshold: float | None = Field(default=None, ge=0.0, le=1.0, strict=True, allow_inf_nan=False)
    status: Status = "active"
    updated_at: PastDate = None
    # when the claim was first published / fact-checked; the re-ranker uses its distance to a
    # post's date (`models.matching.rerank`); optional, and missing means "no date evidence"
    claim_date: PastDate = None

    @field_validator("tags", "languages", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    def ref(self) -> NarrativeRef:
        return NarrativeRef(
            id=self.id,
            title=self.title,
            severity=self.severity,
            verdict=self.verdict,
            tags=self.tags,
            why_tracked=self.why_tracked,
            fact_checks=tuple(
                FactCheckLink(url=f.url, publisher=f.publisher, rating=f.rating)
                for f in self.fact_checks
            ),
        )


class CatalogFile(_Strict):
    """The shape of a collection file: ``catalog``, ``description``, ``narratives: [...]``."""

    catalog: NonEmpty = "catalog"
    description: str = ""
    narratives: tuple[Narrative, ...] = ()


class CatalogError(ModelError, ValueError):
    """A catalog that cannot be used (a `ModelError`; still a `ValueError` for callers that
    catch that). `problems` lists ``file:line: field: message`` strings."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        shown = "\n".join(self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"invalid catalog:\n{shown}{more}")


@dataclass(frozen=True)
class Catalog:
    """A validated, immutable set of narratives with a content-hash version."""

    name: str
    narratives: tuple[Narrative, ...]
    description: str = ""
    sources: tuple[str, ...] = ()
    version: str = field(default="")

    def __post_init__(self) -> None:
        seen: dict[str, int] = {}
        duplicates = []
        for narrative in self.narratives:
            if narrative.id in seen:
                duplicates.append(narrative.id)
            seen[narrative.id] = 1
        if duplicates:
            raise CatalogError([f"duplicate narrative id: {d}" for d in duplicates])
        if not self.version:
            object.__setattr__(self, "version", content_version(self.narratives))

    @property
    def active(self) -> tuple[Narrative, ...]:
        return tuple(n for n in self.narratives if n.status == "active")

    def get(self, narrative_id: str) -> Narrative:
        for narrative in self.narratives:
            if narrative.id == narrative_id:
                return narrative
        raise KeyError(narrative_id)

    @classmethod
    def merge(cls, name: str, parts: Iterable[Catalog]) -> Catalog:
        parts = list(parts)
        return cls(
            name=name,
            narratives=tuple(n for part in parts for n in part.narratives),
            description="; ".join(p.description for p in parts if p.description),
            sources=tuple(s for p in parts for s in p.sources),
        )


def content_version(narratives: Iterable[Narrative]) -> str:
    """A stable hash of the narratives' validated content (order-sensitive, format-insensitive)."""
    digest = hashlib.sha256()
    for narrative in narratives:
        payload = narrative.model_dump(mode="json", exclude_defaults=False)
        if payload.get("claim_date") is None:  # added later: keeps older catalogs' versions
            payload.pop("claim_date", None)
        if not payload.get("near_misses"):  # added later too
            payload.pop("near_misses", None)
        digest.update(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:16]
