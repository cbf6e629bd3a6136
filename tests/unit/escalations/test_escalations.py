"""Escalation records, status timestamps, audit entries and the tracking sheet (pure)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from pipeline.elastic.hits import hit_document
from pipeline.escalations import sheet
from pipeline.escalations.records import (
    Escalation,
    EscalationCreate,
    EscalationUpdate,
    apply_update,
    audit_entry,
    new_escalation,
)
from tests.unit.elastic.hits import make_hit

T = datetime(2025, 3, 1, 12, tzinfo=UTC)


def escalation(status: str = "open", platform: str = "bluesky", n: int = 1) -> Escalation:
    request = EscalationCreate(hit_id="bsky:1:n-rigged", action="remove", channel="portal",
                               reason="threatens a named worker", status=status)  # fmt: skip
    source = hit_document(make_hit(platform=platform))
    return new_escalation(f"{n:032x}", request, source, "ana", T)


def test_new_escalation_copies_what_the_sheet_needs_from_the_hit() -> None:
    e = escalation()
    assert (e.post_id, e.platform, e.narrative_id, e.narrative_title) == (
        "bsky:1", "bluesky", "n-rigged", "Machines rigged",
    )  # fmt: skip
    assert e.post_url == "https://www.Example.com/a?b=1"
    assert (e.created_by, e.updated_by, e.created_at) == ("ana", "ana", T)
    assert e.sent_at is None and e.resolved_at is None


def test_status_timestamps_follow_the_documented_rules() -> None:
    sent = apply_update(escalation(), EscalationUpdate(status="sent"), "bo", T + timedelta(hours=1))
    assert sent.sent_at == T + timedelta(hours=1) and sent.resolved_at is None
    assert sent.updated_by == "bo" and sent.created_by == "ana"
    done = apply_update(
        sent, EscalationUpdate(status="actioned", outcome="removed"), "bo", T + timedelta(days=1)
    )
    assert done.sent_at == T + timedelta(hours=1)  # kept
    assert done.resolved_at == T + timedelta(days=1) and done.outcome == "removed"
    reopened = apply_update(done, EscalationUpdate(status="sent"), "bo", T + timedelta(days=2))
    assert reopened.resolved_at is None and reopened.outcome == "removed"
    # actioned straight from open: it was sent, so sent_at is set too
    direct = apply_update(escalation(), EscalationUpdate(status="actioned"), "bo", T)
    assert direct.sent_at == T == direct.resolved_at


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        EscalationCreate(hit_id="h", action="delete", channel="x", reason="y")  # type: ignore[arg-type]
    assert info.value.errors()[0]["loc"] == ("action",)
    with pytest.raises(ValidationError, match="at least one of status, outcome, channel"):
        EscalationUpdate(note="just a note")
    with pytest.raises(ValidationError) as info:
        EscalationCreate(hit_id="h", action="label", channel="", reason="y")
    assert info.value.errors()[0]["loc"] == ("channel",)


def test_audit_entries_record_who_what_and_the_status_change() -> None:
    before = escalation()
    after = apply_update(before, EscalationUpdate(status="sent"), "bo", T + timedelta(hours=1))
    created = audit_entry(None, before, "api", "threatens a named worker")
    updated = audit_entry(before, after, "cli", "sent via portal")
    assert created["action"] == "escalation_created" and created["reviewer"] == "ana"
    assert created["escalation"]["before_status"] is None
    assert updated["action"] == "escalation_updated" and updated["via"] == "cli"
    assert updated["escalation"] | {"outcome": None} == {
        "id": before.id, "action": "remove", "platform": "bluesky", "channel": "portal",
        "status": "sent", "before_status": "open", "outcome": None,
    }  # fmt: skip
    assert updated["at"] == "2025-03-01T13:00:00Z" and updated["hit_id"] == "bsky:1:n-rigged"


def test_summary_counts_sent_actioned_and_pending_per_platform_and_narrative() -> None:
    rows = [
        escalation("open", "bluesky", 1),
        escalation("sent", "bluesky", 2),
        escalation("actioned", "bluesky", 3),
        escalation("declined", "x", 4),
        escalation("no_response", "x", 5),
        escalation("actioned", "x", 6),
    ]
    counts = sheet.summary(rows)
    assert counts["total"] == {"requested": 6, "sent": 5, "actioned": 2, "declined": 1,
                               "no_response": 1, "pending": 2}  # fmt: skip
    assert [
        (p["platform"], p["sent"], p["actioned"], p["pending"]) for p in counts["platforms"]
    ] == [
        ("bluesky", 2, 1, 2),
        ("x", 3, 1, 0),
    ]
    assert counts["narratives"] == [
        {"narrative_id": "n-rigged", "narrative_title": "Machines rigged", **counts["total"]}
    ]


def test_tracking_sheet_csv_is_formula_safe_and_json_has_the_summary() -> None:
    e = escalation().model_copy(update={"reason": '=HYPERLINK("http://evil")', "outcome": "+1"})
    lines = list(sheet.csv_lines([e]))
    rows = list(csv.DictReader("".join(lines).splitlines()))
    assert list(rows[0]) == list(sheet.SHEET_COLUMNS)
    assert rows[0]["reason"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["outcome"] == "'+1"
    assert rows[0]["status"] == "open" and rows[0]["sent_at"] == ""
    body = json.loads(sheet.json_document([e]))
    assert body["rows"][0]["reason"] == e.reason  # JSON is data, not a spreadsheet
    assert body["summary"]["total"]["requested"] == 1
