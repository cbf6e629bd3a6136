"""The tracking sheet: escalations as rows (CSV or JSON) and summary counts. Pure.

CSV cells are neutralised against formula injection exactly like hit exports
(`pipeline.api.export.neutralise_cell`): post URLs, reasons and outcomes are free text.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.api.export import neutralise_cell
from pipeline.escalations.records import PENDING, Escalation

SHEET_COLUMNS = (
    "id",
    "created_at",
    "platform",
    "post_url",
    "post_id",
    "narrative_id",
    "narrative_title",
    "threat_level",
    "action",
    "channel",
    "status",
    "sent_at",
    "resolved_at",
    "outcome",
    "reason",
    "created_by",
    "updated_by",
    "updated_at",
    "hit_id",
)
COUNTS = ("requested", "sent", "actioned", "declined", "no_response", "pending")


def sheet_row(escalation: Escalation) -> dict[str, Any]:
    """One tracking-sheet row (JSON values: ISO times, None for empty)."""
    data = escalation.model_dump(mode="json")
    return {column: data.get(column) for column in SHEET_COLUMNS}


def csv_lines(escalations: Iterable[Escalation]) -> Iterator[str]:
    """A header line, then one formula-safe CSV line per escalation."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(SHEET_COLUMNS)
    for escalation in escalations:
        row = sheet_row(escalation)
        yield line("" if row[c] is None else neutralise_cell(row[c]) for c in SHEET_COLUMNS)


def json_document(escalations: Iterable[Escalation]) -> str:
    """``{"columns": [...], "rows": [...], "summary": {...}}`` as JSON text."""
    items = list(escalations)
    body = {
        "columns": list(SHEET_COLUMNS),
        "rows": [sheet_row(e) for e in items],
        "summary": summary(items),
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def _counts(statuses: Counter[str]) -> dict[str, int]:
    return {
        "requested": sum(statuses.values()),
        "sent": sum(n for s, n in statuses.items() if s != "open"),
        "actioned": statuses["actioned"],
        "declined": statuses["declined"],
        "no_response": statuses["no_response"],
        "pending": sum(statuses[s] for s in PENDING),
    }


def summary(escalations: Iterable[Escalation]) -> dict[str, Any]:
    """Counts overall, per platform and per narrative: requested, sent (ever sent: every status
    but ``open``), actioned, declined, no_response, pending (``open`` or ``sent``)."""
    overall: Counter[str] = Counter()
    platforms: dict[str, Counter[str]] = defaultdict(Counter)
    narratives: dict[str, Counter[str]] = defaultdict(Counter)
    titles: dict[str, str] = {}
    for e in escalations:
        overall[e.status] += 1
        platforms[e.platform][e.status] += 1
        narratives[e.narrative_id][e.status] += 1
        titles[e.narrative_id] = e.narrative_title
    return {
        "total": _counts(overall),
        "platforms": [{"platform": p, **_counts(c)} for p, c in sorted(platforms.items())],
        "narratives": [
            {"narrative_id": n, "narrative_title": titles[n], **_counts(c)}
            for n, c in sorted(narratives.items())
        ],
    }
