"""The escalation record and its rules. Pure.

Status: ``open`` (decided, not sent yet) -> ``sent`` (the platform has it) -> ``actioned`` /
``declined`` / ``no_response`` (the platform's answer, or none). Any status may follow any
other (a platform that reverses itself, a request sent twice); the timestamps say what happened:
``sent_at`` is set the first time the status is no longer ``open``, ``resolved_at`` when it
reaches an answer and cleared if it goes back to ``open`` or ``sent``. *Pending* means ``open``
or ``sent``: no answer yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.records import UtcDatetime

EscalationAction = Literal["remove", "label", "reduce", "refer_law_enforcement"]
EscalationStatus = Literal["open", "sent", "actioned", "declined", "no_response"]
ACTIONS: tuple[str, ...] = get_args(EscalationAction)
STATUSES: tuple[str, ...] = get_args(EscalationStatus)
ANSWERED = frozenset({"actioned", "declined", "no_response"})
PENDING = frozenset({"open", "sent"})
Who = str


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EscalationCreate(_Strict):
    """What an analyst asks for: the hit, the action, the channel and why."""

    hit_id: str = Field(min_length=1, max_length=1024)
    action: EscalationAction
    channel: str = Field(
        min_length=1,
        max_length=100,
        description="How it reaches the platform: e.g. trusted-flagger portal, email, phone.",
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why this is escalated.")
    status: EscalationStatus = "open"
    outcome: str | None = Field(default=None, max_length=2000)


class EscalationUpdate(_Strict):
    """A change of status, outcome or channel; `note` says why (kept in the audit trail)."""

    status: EscalationStatus | None = None
    outcome: str | None = Field(default=None, max_length=2000)
    channel: str | None = Field(default=None, min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _something(self) -> EscalationUpdate:
        if self.status is None and self.outcome is None and self.channel is None:
            raise ValueError("give at least one of status, outcome, channel")
        return self


class Escalation(_Strict):
    """One escalation of one hit to its platform."""

    schema_version: Literal[1] = 1
    id: str
    hit_id: str
    post_id: str
    post_url: str | None = None
    platform: str
    narrative_id: str
    narrative_title: str
    threat_level: str | None = None
    action: EscalationAction
    channel: str
    status: EscalationStatus
    outcome: str | None = None
    reason: str
    created_by: Who
    updated_by: Who
    created_at: UtcDatetime
    updated_at: UtcDatetime
    sent_at: UtcDatetime | None = None
    resolved_at: UtcDatetime | None = None


def _timestamps(
    status: str, now: datetime, sent_at: datetime | None, resolved_at: datetime | None
) -> dict[str, datetime | None]:
    if status != "open" and sent_at is None:
        sent_at = now
    resolved_at = (resolved_at or now) if status in ANSWERED else None
    return {"sent_at": sent_at, "resolved_at": resolved_at}


def new_escalation(
    escalation_id: str, request: EscalationCreate, hit: dict[str, Any], who: Who, now: datetime
) -> Escalation:
    """The record for `request` about the hit whose ``_source`` is `hit`."""
    post = hit.get("post") or {}
    narrative = hit.get("narrative") or {}
    threat = hit.get("threat") or {}
    return Escalation(
        id=escalation_id,
        hit_id=request.hit_id,
        post_id=str(post.get("id") or ""),
        post_url=post.get("url"),
        platform=str(post.get("platform") or "unknown"),
        narrative_id=str(narrative.get("id") or ""),
        narrative_title=str(narrative.get("title") or ""),
        threat_level=threat.get("level"),
        action=request.action,
        channel=request.channel,
        status=request.status,
        outcome=request.outcome,
        reason=request.reason,
        created_by=who,
        updated_by=who,
        created_at=now,
        updated_at=now,
        **_timestamps(request.status, now, None, None),
    )


def apply_update(
    escalation: Escalation, update: EscalationUpdate, who: Who, now: datetime
) -> Escalation:
    """`escalation` after `update` by `who` at `now` (the status rules of the module doc)."""
    status = update.status or escalation.status
    changes: dict[str, Any] = {
        "status": status,
        "updated_by": who,
        "updated_at": now,
        **_timestamps(status, now, escalation.sent_at, escalation.resolved_at),
    }
    if update.outcome is not None:
        changes["outcome"] = update.outcome
    if update.channel is not None:
        changes["channel"] = update.channel
    return escalation.model_copy(update=changes)


def audit_entry(
    before: Escalation | None, after: Escalation, via: str, note: str | None
) -> dict[str, Any]:
    """The audit document of one escalation change (same index and shape as review entries:
    `hit_id`, `reviewer` is who acted, `action` ``escalation_created`` / ``escalation_updated``)."""
    return {
        "hit_id": after.hit_id,
        "hit_index": None,
        "narrative_id": after.narrative_id,
        "reviewer": after.updated_by,
        "at": after.updated_at.isoformat().replace("+00:00", "Z"),
        "action": "escalation_created" if before is None else "escalation_updated",
        "note": note,
        "via": via,
        "escalation": {
            "id": after.id,
            "action": after.action,
            "platform": after.platform,
            "channel": after.channel,
            "status": after.status,
            "before_status": None if before is None else before.status,
            "outcome": after.outcome,
        },
    }
