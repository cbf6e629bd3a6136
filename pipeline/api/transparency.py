"""The public explanation of a hit: why a post was flagged, in plain language, fit to show the
person who posted it. Pure.

What it says: which narrative and why it is tracked, the published fact checks, the example
phrasing the post resembled, its score against the threshold, the stance read from it, the
catalog and model versions, and the review decision. What it never says: reviewers' names and
notes, the audit trail, escalations and the threat score (internal triage), other posts.
Fact-check links are kept only when they are http(s) URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

VERDICT_TEXT = {
    "false": "false: fact checkers found no evidence for it",
    "misleading": "misleading: it distorts or leaves out facts that change its meaning",
    "unproven": "unproven: it is presented as fact without evidence",
    "harmful": "harmful: it can put people at risk, whether or not any claim in it is true",
}
STANCE_TEXT = {
    "promotes": "The post appears to repeat or support the claim.",
    "debunks": "The post appears to correct or argue against the claim.",
    "discusses": "The post appears to mention the claim without taking a side.",
}
DECISION_TEXT = {
    "unreviewed": "Not reviewed by a person yet: this is an automatic match.",
    "confirmed": "A reviewer confirmed that the post matches this narrative.",
    "false_positive": "A reviewer decided this match was a mistake: the post does not make "
    "this claim.",
    "needs_context": "A reviewer found that more context is needed before deciding.",
    "correct_no_action": "A reviewer confirmed the match and decided that no action is needed "
    "(for example, the post corrects the claim).",
}


def _http(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def fact_check_links(checks: Any) -> list[dict[str, Any]]:
    """The http(s) fact checks of a narrative (ref or catalog entry), as plain dicts."""
    links = []
    for check in checks or ():
        if not isinstance(check, Mapping):
            continue
        url = _http(check.get("url"))
        if url:
            links.append(
                {"url": url, "publisher": check.get("publisher"), "rating": check.get("rating")}
            )
    return links


def public_explanation(
    source: Mapping[str, Any],
    review: Mapping[str, Any],
    catalog_entry: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The public explanation of the hit whose ``_source`` is `source` and whose review block is
    `review`. `catalog_entry` (``why_tracked``, ``fact_checks`` from the catalog) fills what a
    hit indexed before these travelled with hits lacks."""
    narrative = source.get("narrative") or {}
    explanation = source.get("explanation") or {}
    post = source.get("post") or {}
    fallback = catalog_entry or {}
    why = narrative.get("why_tracked") or fallback.get("why_tracked") or ""
    checks = fact_check_links(narrative.get("fact_checks") or fallback.get("fact_checks"))
    score = explanation.get("fused_score")
    threshold = explanation.get("threshold")
    stance = source.get("stance")
    state = review.get("state") or "unreviewed"
    verdict = narrative.get("verdict")
    body = {
        "hit_id": source.get("id"),
        "post": {
            "id": post.get("id"),
            "platform": post.get("platform"),
            "url": _http(post.get("url")),
            "created_at": post.get("created_at"),
        },
        "narrative": {
            "id": narrative.get("id"),
            "title": narrative.get("title"),
            "verdict": verdict,
            "why_tracked": why,
        },
        "fact_checks": checks,
        "resembled": explanation.get("best_exemplar") or source.get("exemplar"),
        "score": score,
        "threshold": threshold,
        "stance": stance,
        "catalog_version": source.get("catalog_version") or explanation.get("catalog_version"),
        "model_id": source.get("model_id") or explanation.get("model_id"),
        "matched_at": source.get("matched_at"),
        "review": {"state": state, "decided_at": review.get("reviewed_at")},
    }
    body["text"] = plain_text(body)
    return body


def plain_text(body: Mapping[str, Any]) -> str:
    """The explanation as a few sentences (what a UI or an export shows)."""
    narrative = body["narrative"]
    parts = [
        f"This post was flagged automatically because it resembles a claim we track: "
        f'"{narrative["title"]}".'
    ]
    verdict = VERDICT_TEXT.get(narrative.get("verdict") or "")
    if verdict:
        parts.append(f"We track this narrative as {verdict}.")
    if narrative.get("why_tracked"):
        parts.append(f"Why it is tracked: {narrative['why_tracked'].strip()}")
    if body.get("resembled"):
        parts.append(f'The closest example phrasing is: "{body["resembled"]}".')
    if isinstance(body.get("score"), int | float) and isinstance(
        body.get("threshold"), int | float
    ):
        parts.append(
            f"Its match score is {body['score']:.2f} on a scale of 0 to 1; posts are flagged at "
            f"{body['threshold']:.2f} or above."
        )
    stance = STANCE_TEXT.get(body.get("stance") or "")
    if stance:
        parts.append(stance)
    if body["fact_checks"]:
        named = [
            f"{check['publisher'] or 'fact check'} ({check['url']})"
            for check in body["fact_checks"]
        ]
        parts.append("Published fact checks: " + "; ".join(named) + ".")
    parts.append(DECISION_TEXT.get(body["review"]["state"], DECISION_TEXT["unreviewed"]))
    parts.append(
        f"Catalog version {body.get('catalog_version') or 'unknown'}, "
        f"model {body.get('model_id') or 'unknown'}."
    )
    return " ".join(parts)
