"""The threat score: each component, the stance factor, the levels and the documented examples."""

from __future__ import annotations

import pytest

from models.records import Author, Engagement, NarrativeRef, Severity, Stance
from models.threat import (
    CatalogTargeting,
    TargetingEvidence,
    Velocity,
    assess,
    describe,
    level_for,
)
from tests.factories import make_post

DOXXING = NarrativeRef(
    id="election-worker-doxxing",
    title="Calls to expose election workers",
    severity="critical",
    verdict="harmful",
    tags=("elections", "harassment", "doxxing"),
)


def narrative(severity: Severity = "medium", tags: tuple[str, ...] = ()) -> NarrativeRef:
    return NarrativeRef(id="n", title="N", severity=severity, verdict="false", tags=tags)


def test_levels_have_documented_boundaries() -> None:
    assert [level_for(s) for s in (0, 29.9, 30, 49.9, 50, 69.9, 70, 100)] == [
        "low", "low", "moderate", "moderate", "high", "high", "severe", "severe",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("severity", "points"), [("low", 10.0), ("medium", 20.0), ("high", 30.0), ("critical", 40.0)]
)
def test_severity_points(severity: Severity, points: float) -> None:
    threat = assess(make_post(), narrative(severity), "promotes")
    assert threat.severity.points == points
    assert threat.score == points  # no velocity, reach or targeting figures


def test_documented_examples_of_the_doxxing_narrative() -> None:
    small = make_post(author=Author(followers=100))
    assert assess(small, DOXXING, "promotes").level == "high"
    assert assess(small, DOXXING, "promotes").score == pytest.approx(66.7, abs=0.1)
    four_times = Velocity(rate_per_min=2.0, baseline_per_min=0.5)
    assert assess(small, DOXXING, "promotes", four_times).level == "severe"
    big = make_post(author=Author(followers=10_000))
    assert assess(big, DOXXING, "promotes").level == "severe"
    assert assess(small, DOXXING, "debunks").level == "low"


def test_targeting_comes_from_catalog_tags_and_extra_signals() -> None:
    threat = assess(make_post(), DOXXING, "promotes")
    assert threat.targeting.value == 1.0
    assert threat.targeting_signals == ("narrative tagged doxxing", "narrative tagged harassment")
    assert assess(make_post(), narrative(), "promotes").targeting.value == 0.0

    def names_a_worker(post: object, ref: NarrativeRef) -> TargetingEvidence | None:
        return TargetingEvidence(0.5, ("names a person",))

    richer = assess(
        make_post(), narrative(), "promotes", signals=(CatalogTargeting(), names_a_worker)
    )
    assert richer.targeting.value == 0.5
    assert richer.targeting.points == 10.0
    assert richer.targeting_signals == ("names a person",)


@pytest.mark.parametrize(
    ("rate", "baseline", "value"),
    [(1.0, 1.0, 0.0), (0.5, 1.0, 0.0), (2.0, 1.0, 1 / 3), (4.0, 1.0, 2 / 3), (80.0, 1.0, 1.0)],
)
def test_velocity_is_log_ratio_to_baseline(rate: float, baseline: float, value: float) -> None:
    threat = assess(make_post(), narrative(), "promotes", Velocity(rate, baseline))
    assert threat.velocity.value == pytest.approx(value, abs=1e-3)


def test_velocity_baseline_has_a_floor_and_unknown_counts_zero() -> None:
    # baseline 0 would make any rate infinite: the floor (0.2/min) is used instead
    floored = assess(make_post(), narrative(), "promotes", Velocity(0.4, 0.0, floor_per_min=0.2))
    assert floored.velocity.value == pytest.approx(1 / 3, abs=1e-3)
    unknown = assess(make_post(), narrative(), "promotes", Velocity(None, None, note="warming up"))
    assert unknown.velocity.value == 0.0
    assert "warming up" in unknown.velocity.detail


def test_reach_takes_followers_or_engagement_whichever_is_larger() -> None:
    viral = make_post(author=Author(followers=10), engagement=Engagement(likes=9_000, reposts=999))
    threat = assess(viral, narrative(), "promotes")
    assert threat.reach.value == pytest.approx(1.0, abs=1e-3)
    assert threat.reach.detail == "10 followers, 9,999 likes/reposts/replies"
    million = assess(make_post(author=Author(followers=999_999)), narrative(), "promotes")
    assert million.reach.value == pytest.approx(1.0, abs=1e-3)
    assert assess(make_post(), narrative(), "promotes").reach.detail.startswith("no follower")


@pytest.mark.parametrize(
    ("stance", "factor"), [("promotes", 1.0), ("discusses", 0.7), (None, 0.7), ("debunks", 0.3)]
)
def test_stance_factor_scales_the_sum(stance: Stance | None, factor: float) -> None:
    threat = assess(make_post(), narrative("critical"), stance)
    assert threat.stance_factor == factor
    assert threat.score == pytest.approx(40 * factor, abs=0.05)


def test_description_names_every_component() -> None:
    text = describe(assess(make_post(author=Author(followers=100)), DOXXING, "promotes"))
    assert text.startswith("Threat high (66.7/100) = stance factor 1 x (severity 40 + velocity 0")
    assert "targeting 20" in text
