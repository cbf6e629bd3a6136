"""Reviews feeding back: precision, the review-event parser, suggestions and their YAML diff."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from models.catalog import Narrative, load_catalog
from models.dead_letters import RecordOrigin
from models.errors import InvalidRecord
from pipeline.api.narratives import with_review_stats
from pipeline.elastic.review_stats import read_counts
from pipeline.feedback.consumer import ReviewStatsStep, parse_review
from pipeline.feedback.stats import precision, review_stats
from pipeline.feedback.suggest import ReviewedHit, Suggestion, suggest
from pipeline.feedback.yaml_edit import apply_suggestion, unified_diff
from pipeline.runner import Record

FIXTURE = Path(__file__).parents[1] / "models" / "fixtures" / "catalog.yaml"
NARRATIVE = Narrative(id="n", title="N", exemplars=("the election was stolen",))
EVENT = (
    b'{"hit_id": "x:1:n", "narrative_id": "n", "post_id": "x:1", "label": "false_positive", '
    b'"previous_state": "unreviewed", "reviewer": "ana", "note": null, '
    b'"reviewed_at": "2024-11-06T00:00:00Z"}'
)


def test_precision_counts_correct_no_action_as_right_and_ignores_needs_context() -> None:
    counts = {"confirmed": 6, "correct_no_action": 2, "false_positive": 2, "needs_context": 9}
    assert precision(counts) == 0.8
    assert precision({"needs_context": 3}) is None
    doc = review_stats("n", counts, "2024-11-06T00:00:00Z")
    assert (doc["reviewed"], doc["judged"], doc["precision"]) == (19, 10, 0.8)


def test_read_counts_fills_zeros_for_unreviewed_narratives() -> None:
    response = {
        "aggregations": {
            "narratives": {
                "buckets": [
                    {"key": "a", "labels": {"buckets": [{"key": "confirmed", "doc_count": 3}]}}
                ]
            }
        }
    }
    assert read_counts(response, ["a", "b"]) == {"a": {"confirmed": 3}, "b": {}}


def test_parse_review_refuses_malformed_events_with_the_reason() -> None:
    assert parse_review(EVENT).label == "false_positive"
    with pytest.raises(InvalidRecord) as caught:
        parse_review(b'{"hit_id": 1')
    assert caught.value.reason == "malformed_json"
    with pytest.raises(InvalidRecord) as caught:
        parse_review(EVENT.replace(b"false_positive", b"maybe"))
    assert caught.value.reason == "schema_error" and "label" in caught.value.detail


def test_the_step_recomputes_each_named_narrative_once() -> None:
    class Writer:
        def __init__(self) -> None:
            self.calls: list[list[str]] = []

        async def recompute(self, narrative_ids: Sequence[str]) -> list[dict[str, Any]]:
            self.calls.append(list(narrative_ids))
            return []

    writer = Writer()
    events = [parse_review(EVENT), parse_review(EVENT.replace(b'"n"', b'"m"')), parse_review(EVENT)]
    batch = [Record(e, b"", RecordOrigin(offset=i)) for i, e in enumerate(events)]
    asyncio.run(ReviewStatsStep(writer)(batch))
    assert writer.calls == [["m", "n"]]


def test_narrative_rows_carry_review_stats_or_none() -> None:
    body = {"narratives": [{"id": "a"}, {"id": "b"}]}
    stats = {"a": review_stats("a", {"confirmed": 1}, "2024-11-06T00:00:00Z")}
    rows = with_review_stats(body, stats)["narratives"]
    assert rows[0]["reviews"]["precision"] == 1.0
    assert rows[1]["reviews"] is None


def _hits(*pairs: tuple[str, float]) -> list[ReviewedHit]:
    return [
        ReviewedHit(f"post {i} {label}", label, score) for i, (label, score) in enumerate(pairs)
    ]


def test_suggest_raises_the_threshold_only_as_far_as_the_reviews_back() -> None:
    hits = _hits(
        ("false_positive", 0.51), ("false_positive", 0.53), ("confirmed", 0.55),
        ("confirmed", 0.6), ("correct_no_action", 0.7), ("confirmed", 0.8),
    )  # fmt: skip
    found = suggest(NARRATIVE, hits, 0.5, min_judged=5, target=0.9)
    assert found.threshold == 0.55
    assert "drops 2 of 2 false positives and 0 of 4 correct hits" in found.reasons[-1]
    assert found.exemplars[0] == "post 2 confirmed"  # lowest-scoring confirmed first
    assert found.near_misses == ("post 1 false_positive", "post 0 false_positive")


def test_suggest_keeps_the_threshold_with_few_reviews_or_good_precision() -> None:
    few = suggest(NARRATIVE, _hits(("false_positive", 0.51)), 0.5, min_judged=5)
    assert few.threshold is None and "1 judged review(s), 5 needed" in few.reasons[-1]
    good = suggest(NARRATIVE, _hits(*[("confirmed", 0.6)] * 5), 0.5, min_judged=5)
    assert good.threshold is None and "never lower it" in good.reasons[-1]


def test_suggest_skips_texts_already_in_the_catalog() -> None:
    hits = [ReviewedHit("The election  was STOLEN", "confirmed", 0.9)]
    assert suggest(NARRATIVE, hits, 0.5).exemplars == ()


def test_the_diff_adds_only_the_suggested_lines_and_the_result_validates(tmp_path: Path) -> None:
    text = FIXTURE.read_text()
    found = Suggestion("voting-machines-flip", 0.475, ("Machines flipped my vote",), ("fp",), 0.6)
    edited = apply_suggestion(text, found)
    diff = unified_diff(text, edited, "catalog.yaml")
    added = [
        line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
    ]
    removed = [
        line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")
    ]
    assert removed == []
    assert added == [
        '+      - "Machines flipped my vote"',
        "+    near_misses:",
        '+      - "fp"',
        "+    threshold: 0.6",
    ]
    (tmp_path / "c.yaml").write_text(edited)
    narrative = load_catalog(tmp_path / "c.yaml").get("voting-machines-flip")
    assert narrative.exemplars[-1] == "Machines flipped my vote"
    assert (narrative.near_misses, narrative.threshold) == (("fp",), 0.6)
