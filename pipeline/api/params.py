"""Pure parsing of the analyst's search parameters: filters, times, sort orders and cursors.

Every failure raises `ParamError` naming the offending parameter; the API turns it into a 400.
Nothing here talks to Elasticsearch.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args

from pipeline.signals.targeting import TARGETING_NARRATIVE_ID

SortOrder = Literal[
    "triage", "relevance", "newest", "oldest", "score", "followers", "likes", "views", "threat"
]
SORT_ORDERS: tuple[str, ...] = get_args(SortOrder)
Interval = Literal["hour", "day"]
Withdrawn = Literal["exclude", "include", "only"]
"""Hits withdrawn from default searches (``deleted_at``: the post was deleted; ``superseded_at``:
an edit no longer matches the narrative): left out, shown too, or shown alone."""
WITHDRAWN: tuple[str, ...] = get_args(Withdrawn)

_RELATIVE = re.compile(r"^\s*(\d{1,6})\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_QUERY_CHARS = 500
MAX_FILTER_VALUES = 50
MAX_SCORE = 1.0
"""Combined scores are fused cosine and normalised BM25 scores: never above 1."""

# The closed vocabularies of `models.records` (kept as literals here so this module stays cheap).
STANCES = ("promotes", "debunks", "discusses")
SEVERITIES = ("low", "medium", "high", "critical")
VERDICTS = ("false", "misleading", "unproven", "harmful")
# Open vocabularies still have a shape: narrative ids are catalog slugs, platforms short names.
_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "narrative": (re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$"), "a narrative id (catalog slug)"),
    "platform": (re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"), "a platform name"),
    "language": (re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$"), "a language code"),
}


class ParamError(ValueError):
    """An invalid request parameter. `parameter` is its public name."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")


def parse_time(value: str, parameter: str, now: datetime | None = None) -> datetime:
    """``24h``, ``7d``, ``30m``, ``2w`` (ago, from `now`) or an ISO 8601 date/datetime (UTC when it
    has no offset). Raises `ParamError`."""
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ParamError(
                parameter, f"expected ISO 8601 or a relative time like 24h or 7d, got {value!r}"
            ) from None
        parsed = datetime(day.year, day.month, day.day)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def split_values(values: Iterable[str] | None, parameter: str) -> tuple[str, ...]:
    """Repeated and/or comma-separated values, stripped, empty ones dropped, order kept."""
    out: list[str] = []
    for value in values or ():
        out.extend(v.strip() for v in value.split(",") if v.strip())
    if len(out) > MAX_FILTER_VALUES:
        raise ParamError(parameter, f"at most {MAX_FILTER_VALUES} values")
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class HitFilters:
    """What the analyst narrows hits by; shared by search, aggregations, export and kNN."""

    q: str | None = None
    narrative: tuple[str, ...] = ()
    platform: tuple[str, ...] = ()
    stance: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    verdict: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    review: tuple[str, ...] = ()
    post: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    min_score: float | None = None
    deleted: Withdrawn = "exclude"

    def __post_init__(self) -> None:
        if self.q is not None and len(self.q) > MAX_QUERY_CHARS:
            raise ParamError("q", f"at most {MAX_QUERY_CHARS} characters")
        if self.since and self.until and self.since > self.until:
            raise ParamError("since", "is after until")
        if self.min_score is not None and not 0.0 <= self.min_score <= MAX_SCORE:
            raise ParamError("min_score", f"must be between 0 and {MAX_SCORE:g}")


def build_filters(
    *,
    q: str | None = None,
    narrative: Iterable[str] | None = None,
    platform: Iterable[str] | None = None,
    stance: Iterable[str] | None = None,
    severity: Iterable[str] | None = None,
    verdict: Iterable[str] | None = None,
    author: Iterable[str] | None = None,
    domain: Iterable[str] | None = None,
    language: Iterable[str] | None = None,
    review: Iterable[str] | None = None,
    post: Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    min_score: float | None = None,
    deleted: str | None = None,
    now: datetime | None = None,
) -> HitFilters:
    """`HitFilters` from raw request values. Closed vocabularies (stance, severity, verdict,
    review) must be one of their values, open ones (narrative, platform, language) must have their
    shape; whether a narrative id is in the catalog is `check_narratives`'s job. Raises
    `ParamError`."""
    from pipeline.elastic.schema.mapping import REVIEW_STATES

    return HitFilters(
        q=(q.strip() or None) if q else None,
        narrative=_shaped(narrative, "narrative"),
        platform=_shaped(platform, "platform"),
        stance=_one_of(stance, "stance", STANCES),
        severity=_one_of(severity, "severity", SEVERITIES),
        verdict=_one_of(verdict, "verdict", VERDICTS),
        author=split_values(author, "author"),
        domain=split_values(domain, "domain"),
        language=_shaped(language, "language"),
        review=_one_of(review, "review", REVIEW_STATES),
        post=split_values(post, "post"),
        since=parse_time(since, "since", now) if since else None,
        until=parse_time(until, "until", now) if until else None,
        min_score=min_score,
        deleted=_withdrawn(deleted),
    )


def _withdrawn(value: str | None) -> Withdrawn:
    if value is None:
        return "exclude"
    for allowed in get_args(Withdrawn):
        if value == allowed:
            return allowed  # type: ignore[no-any-return]
    raise ParamError("deleted", f"unknown value {value!r} (one of {', '.join(WITHDRAWN)})")


def _one_of(
    values: Iterable[str] | None, parameter: str, allowed: tuple[str, ...]
) -> tuple[str, ...]:
    found = split_values(values, parameter)
    for value in found:
        if value not in allowed:
            raise ParamError(parameter, f"unknown value {value!r} (one of {', '.join(allowed)})")
    return found


def _shaped(values: Iterable[str] | None, parameter: str) -> tuple[str, ...]:
    pattern, what = _FORMATS[parameter]
    found = split_values(values, parameter)
    for value in found:
        if not pattern.match(value):
            raise ParamError(parameter, f"{value!r} is not {what}")
    return found


SIGNAL_NARRATIVES = frozenset({TARGETING_NARRATIVE_ID})
"""Narrative ids hits may carry that no catalog defines (`pipeline.signals.targeting`)."""


def check_narratives(filters: HitFilters, known: Collection[str]) -> None:
    """Raise `ParamError` naming ``narrative`` when a filtered narrative id is not in `known`
    (the loaded catalog's ids): a typo would otherwise look like a narrative with no hits."""
    unknown = [n for n in filters.narrative if n not in known and n not in SIGNAL_NARRATIVES]
    if unknown:
        raise ParamError(
            "narrative",
            f"unknown narrative {unknown[0]!r}: not in the catalog",
        )


def encode_cursor(sort: str, values: list[Any]) -> str:
    """An opaque cursor for ``search_after``: the sort order and the last hit's sort values."""
    raw = json.dumps({"s": sort, "v": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, parameter: str = "cursor") -> list[Any]:
    """The ``search_after`` values in `cursor`. Raises `ParamError` when it is malformed or was
    made for another sort order."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError):
        raise ParamError(parameter, "not a cursor returned by this API") from None
    if not isinstance(body, dict) or not isinstance(body.get("v"), list):
        raise ParamError(parameter, "not a cursor returned by this API")
    values: list[Any] = body["v"]
    # None: the sort value of a document missing the field (e.g. a hit without a review state)
    if not 1 <= len(values) <= 4 or not all(
        (v is None or isinstance(v, str | int | float)) and not isinstance(v, bool) for v in values
    ):
        raise ParamError(parameter, "not a cursor returned by this API")
    if body.get("s") != sort:
        raise ParamError(parameter, f"was made for sort={body.get('s')}, not sort={sort}")
    return values
