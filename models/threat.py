"""The threat level of a hit: how urgently it needs a person, and why. Pure.

**The score** (0-100) is a weighted sum of four components, each a value between 0 and 1,
multiplied by a stance factor::

    score = stance_factor x (40 x severity + 20 x velocity + 20 x reach + 20 x targeting)

- **severity**: the narrative's catalog severity: low 0.25, medium 0.5, high 0.75, critical 1.0.
- **velocity**: how fast the narrative moves now against its own baseline (`Velocity`: a current
  rate and a baseline rate in hits per minute, kept by the worker, see `pipeline.velocity`).
  ``ratio = rate / max(baseline, floor)``; value ``log2(ratio) / 3`` clipped to 0-1: at or below
  the baseline 0, twice 0.33, four times 0.67, eight times or more 1. Unknown (no estimate yet) 0.
- **reach**: the post's audience: the larger of ``log10(1 + followers) / 6`` (a million
  followers is 1) and ``log10(1 + likes + reposts + replies) / 4`` (ten thousand interactions is
  1), so a post from a small account that went viral counts too. No figures: 0.
- **targeting**: whether the post targets people (doxxing, calls to find or confront someone):
  the highest score of the `TargetingSignal`s. Today the one signal is the catalog's: a
  narrative tagged ``doxxing``, ``harassment`` or ``targeting`` (e.g. the example catalog's
  ``election-worker-doxxing``) scores 1. A detector of targeting in the post itself plugs in as
  another `TargetingSignal`.
- **stance factor**: a post that promotes the narrative counts fully (1.0), one that discusses it
  or whose stance is unknown 0.7, one that debunks it 0.3.

**Levels** (`LEVELS`): severe >= 70, high >= 50, moderate >= 30, low below. Examples: a post
promoting the critical doxxing narrative from a 100-follower account scores 67 (high); the same
post spreading 4x faster than usual, or from an account with 10,000 followers, is severe. A
post debunking it is low.

`VERSION` names this formula; it is stored with every score so a change is visible in the index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from models.records import (
    NarrativeRef,
    Post,
    Severity,
    Stance,
    Threat,
    ThreatComponent,
    ThreatLevel,
)

VERSION = "threat-v1"
WEIGHTS = {"severity": 0.4, "velocity": 0.2, "reach": 0.2, "targeting": 0.2}
SEVERITY_VALUES: dict[Severity, float] = {"low": 0.25, "medium": 0.5, "high": 0.75, "critical": 1.0}
STANCE_FACTORS: dict[Stance | None, float] = {
    "promotes": 1.0,
    "discusses": 0.7,
    None: 0.7,
    "debunks": 0.3,
}
LEVELS: tuple[tuple[float, ThreatLevel], ...] = (
    (70.0, "severe"),
    (50.0, "high"),
    (30.0, "moderate"),
    (0.0, "low"),
)
"""(lowest score, level), highest first."""
THREAT_LEVELS: tuple[ThreatLevel, ...] = ("low", "moderate", "high", "severe")
VELOCITY_FULL_RATIO = 8.0
TARGETING_TAGS = frozenset({"doxxing", "harassment", "targeting"})


@dataclass(frozen=True)
class Velocity:
    """A narrative's current rate and baseline, hits per minute; None while unknown. `note`
    says why it is unknown or how it was estimated."""

    rate_per_min: float | None
    baseline_per_min: float | None
    floor_per_min: float = 0.2
    note: str = ""


@dataclass(frozen=True)
class TargetingEvidence:
    """What a targeting signal found: a score 0-1 and short names of what it saw."""

    score: float
    signals: tuple[str, ...]


class TargetingSignal(Protocol):
    """Anything that judges whether a post targets people. Returns None when it has nothing
    to say. Must be pure and fast: it runs on the worker's event loop for every hit."""

    def __call__(self, post: Post, narrative: NarrativeRef) -> TargetingEvidence | None: ...


@dataclass(frozen=True)
class CatalogTargeting:
    """The catalog's targeting signal: the narrative carries one of `tags`."""

    tags: frozenset[str] = TARGETING_TAGS

    def __call__(self, post: Post, narrative: NarrativeRef) -> TargetingEvidence | None:
        found = sorted(self.tags.intersection(narrative.tags))
        if not found:
            return None
        return TargetingEvidence(1.0, tuple(f"narrative tagged {tag}" for tag in found))


DEFAULT_SIGNALS: tuple[TargetingSignal, ...] = (CatalogTargeting(),)


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def _component(name: str, value: float, detail: str) -> ThreatComponent:
    value = round(_clip(value), 4)
    weight = WEIGHTS[name]
    return ThreatComponent(
        value=value, weight=weight, points=round(value * weight * 100, 2), detail=detail
    )


def severity_component(narrative: NarrativeRef) -> ThreatComponent:
    value = SEVERITY_VALUES[narrative.severity]
    return _component("severity", value, f"narrative severity {narrative.severity}")


def velocity_component(velocity: Velocity | None) -> ThreatComponent:
    if velocity is None or velocity.rate_per_min is None or velocity.baseline_per_min is None:
        note = velocity.note if velocity and velocity.note else "no rate estimate"
        return _component("velocity", 0.0, f"unknown ({note})")
    base = max(velocity.baseline_per_min, velocity.floor_per_min)
    ratio = velocity.rate_per_min / base
    value = math.log2(ratio) / math.log2(VELOCITY_FULL_RATIO) if ratio > 1 else 0.0
    detail = (
        f"{velocity.rate_per_min:.2f} hits/min now vs baseline "
        f"{velocity.baseline_per_min:.2f} (x{ratio:.1f})"
    )
    return _component("velocity", value, detail + (f"; {velocity.note}" if velocity.note else ""))


def reach_component(post: Post) -> ThreatComponent:
    followers = post.author.followers
    e = post.engagement
    interactions = sum(v for v in (e.likes, e.reposts, e.replies) if v is not None)
    has_interactions = any(v is not None for v in (e.likes, e.reposts, e.replies))
    if followers is None and not has_interactions:
        return _component("reach", 0.0, "no follower or engagement figures")
    by_followers = math.log10(1 + followers) / 6 if followers is not None else 0.0
    by_engagement = math.log10(1 + interactions) / 4
    parts = []
    if followers is not None:
        parts.append(f"{followers:,} followers")
    if has_interactions:
        parts.append(f"{interactions:,} likes/reposts/replies")
    return _component("reach", max(by_followers, by_engagement), ", ".join(parts))


def targeting_component(
    post: Post, narrative: NarrativeRef, signals: Sequence[TargetingSignal]
) -> tuple[ThreatComponent, tuple[str, ...]]:
    best = 0.0
    seen: list[str] = []
    for signal in signals:
        evidence = signal(post, narrative)
        if evidence is None:
            continue
        best = max(best, _clip(evidence.score))
        seen.extend(evidence.signals)
    detail = "; ".join(seen) if seen else "no targeting signal"
    return _component("targeting", best, detail), tuple(dict.fromkeys(seen))


def level_for(score: float) -> ThreatLevel:
    """The level of a 0-100 score (`LEVELS`)."""
    for lowest, level in LEVELS:
        if score >= lowest:
            return level
    return "low"


def assess(
    post: Post,
    narrative: NarrativeRef,
    stance: Stance | None,
    velocity: Velocity | None = None,
    signals: Sequence[TargetingSignal] = DEFAULT_SIGNALS,
) -> Threat:
    """The `Threat` of a hit of `post` on `narrative` with `stance` (see the module doc)."""
    severity = severity_component(narrative)
    pace = velocity_component(velocity)
    reach = reach_component(post)
    targeting, found = targeting_component(post, narrative, signals)
    factor = STANCE_FACTORS.get(stance, STANCE_FACTORS[None])
    points = severity.points + pace.points + reach.points + targeting.points
    score = round(min(100.0, factor * points), 1)
    return Threat(
        score=score,
        level=level_for(score),
        severity=severity,
        velocity=pace,
        reach=reach,
        targeting=targeting,
        stance_factor=factor,
        targeting_signals=found,
        version=VERSION,
    )


def describe(threat: Threat) -> str:
    """One line a reviewer reads: level, score and what it is made of."""
    parts = [
        f"{name} {component.points:g}"
        for name, component in (
            ("severity", threat.severity),
            ("velocity", threat.velocity),
            ("reach", threat.reach),
            ("targeting", threat.targeting),
        )
    ]
    return (
        f"Threat {threat.level} ({threat.score:g}/100) = stance factor {threat.stance_factor:g}"
        f" x ({' + '.join(parts)})"
    )
