"""The targeting screen of a post as a hit block, and the hit of the synthetic ``targeting``
narrative. Pure.

Every post the match step sees is screened (`models.signals.targeting.detect_targeting`: the
learnt probability over the post's embedding when a classifier is given, else the regular
expressions alone); every hit of the post carries the result as ``hit.targeting``. A post
that matches no catalog narrative but is flagged gets ONE hit on the synthetic narrative
`TARGETING_NARRATIVE` (id ``targeting``, severity critical, verdict harmful), so that analysts
see it in the hits index, the API and the UI like any other hit. The id ``targeting`` is
reserved: it does not come from any catalog, and a catalog narrative must not use it.
"""

from __future__ import annotations

from models.records import Explanation, Hit, NarrativeRef, Post, Scores, Targeting, TargetingSpan
from models.signals.targeting import detect_targeting

TARGETING_NARRATIVE_ID = "targeting"
TARGETING_NARRATIVE = NarrativeRef(
    id=TARGETING_NARRATIVE_ID,
    title="Targeting of election workers (signal, not a catalog narrative)",
    severity="critical",
    verdict="harmful",
    tags=("signal", "targeting"),
)
FLAG_THRESHOLD = 0.5
"""The patterns-only decision flags at a score of 0.5 (see `models.signals.targeting`); with a
classifier its own threshold applies. Recorded in the explanation."""


def screen(
    text: str, max_evidence: int = 20, probability: float | None = None,
    threshold: float = FLAG_THRESHOLD,
) -> Targeting:  # fmt: skip
    """The targeting block for `text` (at most `max_evidence` spans, in order of position);
    `probability` is the classifier's for this post (None: patterns alone)."""
    result = detect_targeting(text, probability=probability, threshold=threshold)
    spans = tuple(
        TargetingSpan(start=e.start, end=e.end, kind=e.kind, text=e.text)
        for e in result.evidence[:max_evidence]
    )
    return Targeting(flag=result.targeting, score=round(result.score, 4), evidence=spans)


def targeting_hit(
    post: Post,
    targeting: Targeting,
    *,
    model_id: str,
    catalog_version: str,
    embedding: list[float] | None = None,
    threshold: float = FLAG_THRESHOLD,
) -> Hit:
    """The hit of `post` on the synthetic ``targeting`` narrative (id ``{post.id}:targeting``).
    Its combined score is the targeting score; dense and lexical scores are 0 (no exemplar)."""
    kinds = sorted({span.kind for span in targeting.evidence})
    explanation = Explanation(
        summary=f"targeting screen: score {targeting.score:.2f}, evidence {', '.join(kinds)}",
        best_exemplar="",
        dense_score=0.0,
        lexical_score=0.0,
        fused_score=targeting.score,
        threshold=threshold,
        model_id=model_id,
        catalog_version=catalog_version,
    )
    return Hit(
        id=Hit.make_id(post.id, TARGETING_NARRATIVE_ID),
        post=post,
        narrative=TARGETING_NARRATIVE,
        scores=Scores(dense=0.0, lexical=0.0, combined=targeting.score),
        exemplar="",
        model_id=model_id,
        catalog_version=catalog_version,
        explanation=explanation,
        embedding=embedding,
        targeting=targeting,
    )
