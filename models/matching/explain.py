"""Turning one scored (post, narrative) pair into a `Match` with its `Explanation`. Pure.

The matcher (`models.matching.matcher`) finds the evidence: the candidate's scores, the closest
exemplar and counter-exemplar, the words the post shares with the narrative. This module decides
the stance (`models.matching.stance`) and writes what a reviewer reads: a one-line summary plus
the raw numbers, the model id and the catalog version the decision was made with.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from models.catalog.schema import Narrative
from models.matching.rerank import RECENT_BEFORE_DAYS
from models.matching.stance import StanceResult, classify_stance
from models.records import Explanation, Match, NarrativeRef, Scores


def narrative_document(narrative: Narrative, keyword_repeats: int) -> str:
    """The text BM25 indexes for a narrative: title, exemplars, counter-exemplars (a refutation
    uses the narrative's words too), keywords repeated."""
    parts = [
        narrative.title, *narrative.exemplars, *narrative.counter_exemplars,
        *(list(narrative.keywords) * keyword_repeats),
    ]  # fmt: skip
    return "\n".join(parts)


def contains_term(lowered_text: str, term: str) -> bool:
    """Whole-word (or whole-phrase), case-insensitive: `lowered_text` must be lower-cased."""
    return re.search(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)", lowered_text) is not None


@dataclass(frozen=True)
class MatchEvidence:
    """What the matcher found for one (post, narrative) pair."""

    dense: float
    exemplar_score: float  # cosine to the best exemplar (`dense` may come from a counter-exemplar)
    lexical: float
    fused: float
    threshold: float
    exemplar: str
    exemplar_index: int
    counter_exemplar: str | None
    counter_score: float | None
    shared_terms: tuple[str, ...]
    score_name: str = "fused score"
    claim_date: str | None = None  # `claim_date_note`


def claim_date_note(claim: dt.date | None, post: dt.date | None, *, counted: bool) -> str | None:
    """How the narrative's claim date stood to the post's, for the explanation: None when either
    is unknown; `counted` False: the hit decision read only recent claim dates
    (`models.matching.rerank.recent_claims_only`), so an older claim's date did not count."""
    if claim is None or post is None:
        return None
    days = (claim - post).days
    side = "after" if days > 0 else "before"
    when = "the same day as" if days == 0 else f"{abs(days)} days {side}"
    note = f"claim dated {claim.isoformat()}, {when} the post"
    if not counted and days < -RECENT_BEFORE_DAYS:
        note += " (its date not counted: old claims resurface)"
    return note


def build_match(
    text: str, narrative: Narrative, ref: NarrativeRef, evidence: MatchEvidence, *,
    stance_margin: float, model_id: str, catalog_version: str, stance: StanceResult | None = None,
) -> Match:  # fmt: skip
    """The `Match` for `text` (cleaned post text) and `narrative`; the stance is `stance` when
    given (the learned model), else decided here by the rules."""
    lowered = text.lower()
    stance = stance or classify_stance(
        text,
        evidence.exemplar,
        evidence.exemplar_score,
        counter_exemplar=evidence.counter_exemplar,
        counter_score=evidence.counter_score,
        margin=stance_margin,
    )
    keywords = tuple(k for k in narrative.keywords if contains_term(lowered, k))
    shared = evidence.shared_terms
    summary = (
        f"Post {stance.stance} narrative '{narrative.title}' ({narrative.verdict}, "
        f"{narrative.severity}): {evidence.score_name} {evidence.fused:.2f} "
        f">= {evidence.threshold:.2f}, "
        f"closest exemplar cosine {evidence.exemplar_score:.2f}"
        + (f", shared words: {', '.join(shared[:6])}" if shared else "")
        + (f", {evidence.claim_date}" if evidence.claim_date else "")
        + "."
    )
    explanation = Explanation(
        summary=summary,
        best_exemplar=evidence.exemplar,
        best_exemplar_index=evidence.exemplar_index,
        dense_score=evidence.dense,
        lexical_score=evidence.lexical,
        fused_score=evidence.fused,
        threshold=evidence.threshold,
        stance=stance.stance,
        stance_evidence=stance.evidence,
        keywords_matched=keywords,
        model_id=model_id,
        catalog_version=catalog_version,
    )
    return Match(
        narrative=ref,
        scores=Scores(dense=evidence.dense, lexical=evidence.lexical, combined=evidence.fused),
        exemplar=evidence.exemplar,
        stance=stance.stance,
        explanation=explanation,
    )
