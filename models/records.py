"""The records that flow through narrmon: `Post` in, `Hit` out.

Versioned (`schema_version`) and validated with pydantic. Connectors build `Post`s, the matcher
builds `Match`es, the pipeline joins them into `Hit`s. JSON is the wire format on Kafka.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from models.limits import MAX_COUNT
from models.text import normalise_text

if TYPE_CHECKING:
    pass

POST_SCHEMA_VERSION: Literal[1] = 1
HIT_SCHEMA_VERSION: Literal[1] = 1
RAW_MAX_BYTES = 16_384
"""Raw payloads larger than this are not carried (``raw`` is None and ``raw_truncated`` true)."""

Stance = Literal["promotes", "debunks", "discusses"]
Severity = Literal["low", "medium", "high", "critical"]
Verdict = Literal["false", "misleading", "unproven", "harmful"]
ThreatLevel = Literal["low", "moderate", "high", "severe"]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


def utc_now() -> datetime:
    return datetime.now(UTC)


class FrozenRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class Author(FrozenRecord):
    id: str | None = None
    handle: str | None = None
    display_name: str | None = None
    followers: int | None = Field(default=None, ge=0, le=MAX_COUNT)


class Engagement(FrozenRecord):
    likes: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    reposts: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    replies: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    views: int | None = Field(default=None, ge=0, le=MAX_COUNT)


class References(FrozenRecord):
    """Ids (source-scoped, like `Post.id`) of the posts this one replies to, quotes or reposts."""

    reply_to: str | None = None
    quote_of: str | None = None
    repost_of: str | None = None


class Part(FrozenRecord):
    """Set when a long article was split into several posts (see `connectors` split rule)."""

    parent_id: str
    index: int = Field(ge=0, le=MAX_COUNT)
    count: int = Field(ge=1, le=MAX_COUNT)


class Post(FrozenRecord):
    """One normalised post or article.

    `id` is stable and source-scoped (``"{platform}:{native id}"``), so a replay produces the same
    ids. `text` is NFC-normalised with whitespace collapsed, and never truncated: this validator
    is the ONE place a post's text is normalised (connectors and the worker's intake pass the text
    as they got it). A text that is empty after normalisation is refused with the error type
    ``empty_text`` (see `is_empty_text_error`).
    """

    EMPTY_TEXT_ERROR: ClassVar[str] = "empty_text"

    schema_version: Literal[1] = POST_SCHEMA_VERSION
    id: str = Field(min_length=1, max_length=512)
    platform: str = Field(min_length=1, max_length=64)
    source: str = Field(min_length=1, max_length=256)
    author: Author = Author()
    text: str = Field(min_length=1)
    title: str | None = None
    url: str | None = None
    created_at: UtcDatetime
    language: str | None = None
    engagement: Engagement = Engagement()
    references: References = References()
    part: Part | None = None
    ingested_at: UtcDatetime = Field(default_factory=utc_now)
    raw: dict[str, Any] | None = None
    raw_truncated: bool = False

    @field_validator("text")
    @classmethod
    def _normalise(cls, value: str) -> str:
        text = normalise_text(value)
        if not text:
            raise PydanticCustomError(cls.EMPTY_TEXT_ERROR, "text is empty after normalisation")
        return text

    @staticmethod
    def is_empty_text_error(exc: ValidationError) -> bool:
        """Whether `exc` (from validating a `Post`) refused its text for being empty, before or
        after normalisation: the parsers report that as ``missing_text``, not ``schema_error``."""
        return any(
            error["loc"] == ("text",)
            and error["type"] in {Post.EMPTY_TEXT_ERROR, "string_too_short"}
            for error in exc.errors(include_url=False, include_input=False)
        )


class Scores(FrozenRecord):
    dense: float
    lexical: float
    combined: float


class FactCheckLink(FrozenRecord):
    """A published fact check of the narrative, carried on every hit (from the catalog)."""

    url: str
    publisher: str | None = None
    rating: str | None = None


class NarrativeRef(FrozenRecord):
    """The narrative a hit matched, as the catalog described it when the hit was made:
    `why_tracked` and `fact_checks` travel with the hit so its explanation never needs the
    catalog that produced it (older hits lack them; readers fall back to the catalog)."""

    id: str
    title: str
    severity: Severity
    verdict: Verdict
    tags: tuple[str, ...] = ()
    why_tracked: str = ""
    fact_checks: tuple[FactCheckLink, ...] = ()


class Explanation(FrozenRecord):
    """Why a post was matched to a narrative, in terms a reviewer can check."""

    summary: str
    best_exemplar: str
    best_exemplar_index: int | None = None
    dense_score: float
    lexical_score: float
    fused_score: float
    threshold: float
    stance: Stance | None = None
    stance_evidence: str | None = None
    keywords_matched: tuple[str, ...] = ()
    model_id: str
    catalog_version: str


class ThreatComponent(FrozenRecord):
    """One input of the threat score: its value (0-1), its weight, the points it adds (value x
    weight x 100, before the stance factor) and what it was computed from, in words."""

    value: float = Field(ge=0.0, le=1.0)
    weight: float = Field(ge=0.0, le=1.0)
    points: float = Field(ge=0.0)
    detail: str


class Threat(FrozenRecord):
    """How urgently a hit needs attention (`models.threat` documents the formula and levels)."""

    score: float = Field(ge=0.0, le=100.0)
    level: ThreatLevel
    severity: ThreatComponent
    velocity: ThreatComponent
    reach: ThreatComponent
    targeting: ThreatComponent
    stance_factor: float = Field(ge=0.0, le=1.0)
    targeting_signals: tuple[str, ...] = ()
    version: str


class Match(FrozenRecord):
    """One narrative matched by `models` for one post text."""

    narrative: NarrativeRef
    scores: Scores
    exemplar: str
    stance: Stance | None = None
    explanation: Explanation


class TargetingSpan(FrozenRecord):
    """One piece of targeting evidence: ``post.text[start:end]`` and what it is evidence of
    (`models.signals.targeting.EvidenceKind`: phone, email, address, plate, person, role,
    call_to_action, veiled, locator, benign, institutional)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    kind: str
    text: str


class Targeting(FrozenRecord):
    """The targeting screen of a post (`models.signals.targeting`): whether it calls to identify,
    expose or harass an election worker (`flag`), its score in [0, 1) and the evidence spans."""

    flag: bool
    score: float = Field(ge=0.0, le=1.0)
    evidence: tuple[TargetingSpan, ...] = ()


class Hit(FrozenRecord):
    """A post matched to a narrative; indexed in Elasticsearch under `id`. `targeting` is the
    post's targeting screen (None when the worker does not screen posts)."""

    schema_version: Literal[1] = HIT_SCHEMA_VERSION
    id: str
    post: Post
    narrative: NarrativeRef
    scores: Scores
    exemplar: str
    stance: Stance | None = None
    model_id: str
    catalog_version: str
    matched_at: UtcDatetime = Field(default_factory=utc_now)
    explanation: Explanation
    threat: Threat | None = None
    embedding: list[float] | None = None
    targeting: Targeting | None = None

    @staticmethod
    def make_id(post_id: str, narrative_id: str) -> str:
        return f"{post_id}:{narrative_id}"

    @classmethod
    def from_match(cls, post: Post, match: Match, embedding: list[float] | None = None) -> Hit:
        return cls(
            id=cls.make_id(post.id, match.narrative.id),
            post=post,
            narrative=match.narrative,
            scores=match.scores,
            exemplar=match.exemplar,
            stance=match.stance,
            model_id=match.explanation.model_id,
            catalog_version=match.explanation.catalog_version,
            explanation=match.explanation,
            embedding=embedding,
        )
