"""Alertmanager webhook payloads: parsed with field-named errors, printed in 80 columns."""

from __future__ import annotations

import json

import pytest

from pipeline.alert_webhook import (
    InvalidNotificationError,
    alert_record,
    format_notification,
    parse_notification,
)

# The documented webhook payload (version 4), as Alertmanager 0.25 sends it.
PAYLOAD = {
    "version": "4",
    "groupKey": '{}/{}:{alertname="CriticalNarrativeHit", narrative="poll-worker-doxxing"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "webhook",
    "groupLabels": {"alertname": "CriticalNarrativeHit", "narrative": "poll-worker-doxxing"},
    "commonLabels": {"alertname": "CriticalNarrativeHit", "severity": "critical"},
    "commonAnnotations": {},
    "externalURL": "http://127.0.0.1:29094",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "CriticalNarrativeHit",
                "narrative": "poll-worker-doxxing",
                "narrative_severity": "critical",
                "severity": "critical",
                "team": "trust-safety",
            },
            "annotations": {
                "summary": "3 posts promote critical narrative poll-worker-doxxing",
                "description": "3 posts in the last 15 minutes promote critical-severity narrative "
                "poll-worker-doxxing with a match score above 0.65. Review them now (hits_url); "
                "debunking and low-score hits are in the UI but do not page.",
                "hits_url": "http://127.0.0.1:29080/?narrative=poll-worker-doxxing&stance=promotes"
                "&min_score=0.65&since=1h",
                "runbook_url": "https://git.example/narrmon/docs/runbooks/CriticalNarrativeHit.md",
            },
            "startsAt": "2024-11-05T21:14:03.123Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:29090/graph?g0.expr=...",
            "fingerprint": "9f1c0d2e3a4b5c6d",
        }
    ],
}


def test_formats_every_field_an_on_call_needs_within_80_columns() -> None:
    text = format_notification(parse_notification(json.dumps(PAYLOAD).encode()))
    lines = text.splitlines()
    assert lines[0] == "FIRING critical CriticalNarrativeHit since 2024-11-05 21:14:03Z"
    assert "narrative=poll-worker-doxxing" in text and "team=trust-safety" in text
    assert "3 posts promote critical narrative poll-worker-doxxing" in text
    hits = PAYLOAD["alerts"][0]["annotations"]["hits_url"]  # type: ignore[index]
    assert f"  hits: {hits}" in lines  # links are never wrapped
    assert lines[-1].startswith("  runbook: https://")
    assert all(len(line) <= 80 for line in lines if "://" not in line)


def test_resolved_alerts_show_when_they_ended() -> None:
    payload = json.loads(json.dumps(PAYLOAD))
    payload["status"] = payload["alerts"][0]["status"] = "resolved"
    payload["alerts"][0]["endsAt"] = "2024-11-05T21:44:00Z"
    text = format_notification(parse_notification(json.dumps(payload).encode()))
    assert text.startswith("RESOLVED critical CriticalNarrativeHit since 2024-11-05 21:44:00Z")


def test_truncated_alerts_are_announced() -> None:
    payload = dict(PAYLOAD, truncatedAlerts=7)
    text = format_notification(parse_notification(json.dumps(payload).encode()))
    assert text.endswith("(7 more alerts left out by Alertmanager)")


def test_json_record_keeps_labels_annotations_and_group() -> None:
    notification = parse_notification(json.dumps(PAYLOAD).encode())
    record = alert_record(notification.alerts[0], notification)
    assert record["labels"]["narrative"] == "poll-worker-doxxing"  # type: ignore[index]
    assert record["receiver"] == "webhook"
    assert record["fingerprint"] == "9f1c0d2e3a4b5c6d"
    assert str(record["starts_at"]).startswith("2024-11-05T21:14:03.123")
    json.dumps(record)  # serialisable


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (json.dumps({"status": "firing"}).encode(), "alerts"),
        (json.dumps(dict(PAYLOAD, alerts=[{"status": "firing"}])).encode(), "alerts.0.labels"),
    ],
)
def test_malformed_bodies_name_the_field(body: bytes, field: str) -> None:
    with pytest.raises(InvalidNotificationError, match=rf"^{field}"):
        parse_notification(body)
