"""Per-narrative review counts and the precision they imply. Pure.

Precision counts a hit as RIGHT when a reviewer confirmed it or said the match is correct but
needs no action (``correct_no_action``: typically a post that debunks the narrative, which is
still a correct match), and WRONG when they said ``false_positive``. ``needs_context`` is neither
and is left out; so are unreviewed hits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RIGHT = ("confirmed", "correct_no_action")
WRONG = ("false_positive",)
LABELS = ("confirmed", "correct_no_action", "false_positive", "needs_context")


def precision(counts: Mapping[str, int]) -> float | None:
    """right / (right + wrong), None when no hit was judged either way."""
    right = sum(counts.get(label, 0) for label in RIGHT)
    wrong = sum(counts.get(label, 0) for label in WRONG)
    return right / (right + wrong) if right + wrong else None


def review_stats(narrative_id: str, counts: Mapping[str, int], updated_at: str) -> dict[str, Any]:
    """The stored document for one narrative: counts per label, judged, precision."""
    clean = {label: int(counts.get(label, 0)) for label in LABELS}
    judged = sum(clean[label] for label in (*RIGHT, *WRONG))
    return {
        "narrative_id": narrative_id,
        "counts": clean,
        "reviewed": sum(clean.values()),
        "judged": judged,
        "precision": precision(clean),
        "updated_at": updated_at,
    }
