"""CheckThat! verified claims (``vclaims.jsonl`` records) as narratives."""

from __future__ import annotations

import datetime as dt
from typing import Any

from models.catalog.schema import Narrative


def vclaim_narrative(record: dict[str, Any]) -> Narrative | None:
    """A CheckThat! verified claim as a narrative: the claim text, title and subtitle are its
    exemplars. Built with `model_construct` (no per-item validation) because its shape is fixed."""
    claim_id = str(record.get("vclaim_id") or "").strip()
    claim = str(record.get("vclaim") or "").strip()
    if not claim_id or not claim:
        return None
    exemplars = [claim]
    for extra in (record.get("title"), record.get("subtitle")):
        text = str(extra or "").strip()
        if text and text not in exemplars:
            exemplars.append(text)
    return Narrative.model_construct(
        id=claim_id,
        title=str(record.get("title") or claim)[:300],
        summary=claim,
        why_tracked="Previously fact-checked claim (CheckThat! verified claims).",
        verdict="false",
        severity="medium",
        tags=("checkthat",),
        languages=("en",),
        exemplars=tuple(exemplars),
        counter_exemplars=(),
        keywords=(),
        required_terms=(),
        fact_checks=(),
        threshold=None,
        status="active",
        updated_at=None,
        claim_date=_vclaim_date(record.get("date")),
    )


def _vclaim_date(value: object) -> dt.date | None:
    """CheckThat! writes ``26 May 2015``; anything else (or nothing) is no date."""
    text = str(value or "").strip()
    for fmt in ("%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%B %d, %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


__all__ = ["vclaim_narrative"]
