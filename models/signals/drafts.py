"""Turn an emerging-narrative candidate into a draft catalog narrative (one analyst action).

Contract: `to_draft_narrative(candidate)` returns the YAML text of a catalog collection file with
one narrative, validated against `models.catalog` (`CatalogFile`) before it is returned, so it
loads with `load_catalog`. The draft is neutral by construction: title and summary name the top
terms and the evidence only (no verdict words); verdict ``unproven``, severity ``medium``,
``status: retired`` so it matches nothing until an analyst reviews, rewords and activates it.
"""

from __future__ import annotations

import re

import yaml

from models.catalog.schema import CatalogFile
from models.signals.emerging import Candidate

MAX_EXEMPLARS = 8


def draft_id(candidate: Candidate) -> str:
    words = [re.sub(r"[^a-z0-9]+", "-", t.lower()).strip("-") for t in candidate.top_terms[:3]]
    stem = "-".join(w for w in words if w)[:60].strip("-") or "unnamed"
    return f"draft-{candidate.first_at:%Y%m%d}-{stem}-{candidate.candidate_id[-6:]}"


def to_draft_narrative(candidate: Candidate) -> str:
    exemplars = list(dict.fromkeys(p.text for p in candidate.representatives))[:MAX_EXEMPLARS]
    terms = ", ".join(candidate.top_terms[:5]) or "no distinctive terms"
    narrative = {
        "id": draft_id(candidate),
        "title": f"DRAFT: {terms}",
        "summary": (
            f"Emerging cluster {candidate.candidate_id}: {candidate.size} posts from "
            f"{candidate.authors} accounts on {', '.join(candidate.platforms)} between "
            f"{candidate.first_at:%Y-%m-%d %H:%M} and {candidate.last_at:%Y-%m-%d %H:%M} UTC, "
            f"{candidate.recent} in the latest period (growth x{candidate.growth:.1f})."
        ),
        "why_tracked": "Surfaced automatically from posts that matched no catalog narrative; "
        "an analyst must review the claim, reword title and exemplars neutrally and set "
        "verdict, severity and status.",
        "verdict": "unproven",
        "severity": "medium",
        "tags": ["draft", "emerging"],
        "exemplars": exemplars,
        "keywords": list(candidate.top_terms[:MAX_EXEMPLARS]),
        "status": "retired",
        "updated_at": candidate.last_at.date().isoformat(),
    }
    document = {"catalog": "emerging-drafts", "description": "", "narratives": [narrative]}
    CatalogFile.model_validate(document)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
