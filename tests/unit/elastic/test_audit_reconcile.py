"""The audit trail is reconciled against the hit: pending or aborted entries whose review never
landed are left out, an unsettled entry that did land is kept, legacy entries stay."""

from __future__ import annotations

from typing import Any

from pipeline.elastic.audit import reconcile


def _entry(
    audit_id: str | None, at: str, replaced: str | None, status: str = "committed"
) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": at, "status": status, "before": {"audit_id": replaced}}
    if audit_id is not None:
        entry["audit_id"] = audit_id
    return entry


def test_the_trail_follows_the_chain_back_from_the_current_review() -> None:
    legacy = _entry(None, "2024-01-01", None)
    first = _entry("a", "2024-01-02", None, status="pending")  # landed, never settled
    failed = _entry("b", "2024-01-03", "a", status="pending")  # its review write failed
    second = _entry("c", "2024-01-04", "a")
    raced = _entry("d", "2024-01-05", "a", status="aborted")  # lost the race
    entries = [second, raced, legacy, failed, first]
    assert reconcile(entries, "c") == [legacy, first, second]
    assert reconcile(entries, None) == [legacy]


def test_a_cycle_in_corrupt_data_does_not_hang() -> None:
    loop = [_entry("a", "1", "b"), _entry("b", "2", "a")]
    assert [e["audit_id"] for e in reconcile(loop, "a")] == ["a", "b"]


def test_committed_escalation_entries_join_the_trail_in_time_order() -> None:
    review = _entry("a", "2024-01-02", None)
    opened = {**_entry("e1", "2024-01-03", None), "escalation": {"status": "open"}}
    pending = {
        **_entry("e2", "2024-01-04", None, status="pending"),
        "escalation": {"status": "sent"},
    }
    assert reconcile([opened, pending, review], "a") == [review, opened]
    assert reconcile([opened], None) == [opened]
