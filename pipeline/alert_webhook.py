"""Alertmanager webhook payloads: parse and format them for a terminal (pure, no I/O).

Alertmanager 0.25 POSTs one JSON object per notification to a webhook receiver (payload version
"4"): ``{version, groupKey, truncatedAlerts, status, receiver, groupLabels, commonLabels,
commonAnnotations, externalURL, alerts: [{status, labels, annotations, startsAt, endsAt,
generatorURL, fingerprint}]}``. `parse_notification` validates that shape (errors name the field);
`format_alert` renders one alert in at most `width` columns; `alert_record` is the one-line JSON
form (``narrmon alerts listen --json``).
"""

from __future__ import annotations

import textwrap
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Labels shown in the headline of an alert (the rest follow on one line).
_HEADLINE = ("alertname", "severity")


class WebhookAlert(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    status: str
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime | None = Field(default=None, alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = ""


class WebhookNotification(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    version: str = "4"
    status: str
    receiver: str = ""
    group_key: str = Field(default="", alias="groupKey")
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts")
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[WebhookAlert]


class InvalidNotificationError(ValueError):
    """The body is not an Alertmanager webhook notification; the message names the field."""


def parse_notification(body: bytes) -> WebhookNotification:
    """Validate one webhook body. Raises `InvalidNotificationError` naming the first bad field."""
    try:
        return WebhookNotification.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidNotificationError(f"{where}: {first['msg']}") from exc


def _time(value: datetime | None) -> str:
    if value is None or value.year < 1971:  # Alertmanager sends 0001-01-01 for "not ended"
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%SZ")


def format_alert(alert: WebhookAlert, width: int = 80) -> str:
    """A few lines a person reads at 3 a.m.: status, severity, name, the other labels, summary,
    description, the hits and runbook links (links are never wrapped, so they stay clickable)."""
    labels = alert.labels
    status = alert.status.upper()
    since = _time(alert.ends_at if alert.status == "resolved" else alert.starts_at)
    head = f"{status} {labels.get('severity', '-')} {labels.get('alertname', '?')} since {since}"
    rest = " ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in _HEADLINE)
    wrap = textwrap.TextWrapper(width=width, initial_indent="  ", subsequent_indent="  ")
    lines = [head]
    if rest:
        lines += wrap.wrap(rest)
    for key in ("summary", "description"):
        if alert.annotations.get(key):
            lines += wrap.wrap(alert.annotations[key])
    for key, title in (("hits_url", "hits"), ("runbook_url", "runbook")):
        if alert.annotations.get(key):
            lines.append(f"  {title}: {alert.annotations[key]}")
    return "\n".join(lines)


def format_notification(notification: WebhookNotification, width: int = 80) -> str:
    """Every alert of a notification, separated by blank lines, plus a note when Alertmanager
    left alerts out (``max_alerts``)."""
    blocks = [format_alert(alert, width) for alert in notification.alerts]
    if notification.truncated_alerts:
        blocks.append(f"({notification.truncated_alerts} more alerts left out by Alertmanager)")
    return "\n\n".join(blocks)


def alert_record(alert: WebhookAlert, notification: WebhookNotification) -> dict[str, object]:
    """One alert as a JSON-ready object (``--json`` prints one per line)."""
    return {
        "status": alert.status,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "starts_at": alert.starts_at.isoformat() if alert.starts_at else None,
        "ends_at": alert.ends_at.isoformat() if alert.ends_at else None,
        "fingerprint": alert.fingerprint,
        "generator_url": alert.generator_url,
        "receiver": notification.receiver,
        "group_key": notification.group_key,
    }
