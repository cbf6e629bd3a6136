"""How hits read in a terminal: plain text (HTML entities decoded, highlights as bold), full
hit ids on their own line (pasteable into ``narrmon hits show``), and blocks that wrap at word
boundaries in any width from 40 columns up. Pure: builds `rich` renderables, prints nothing.

Highlights come from the API shape (``encoder: html``: every ``<`` ``>`` ``&`` of the post is
escaped, and only ``<mark>`` is markup), so decoding entities after splitting on the marks gives
back exactly what was posted. Post text is never parsed as rich markup.
"""

from __future__ import annotations

import html
import re
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.text import Text

_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
INDENT = 2


def highlighted(fragments: list[str]) -> Text:
    """Highlight fragments (HTML-escaped, ``<mark>``-tagged) as plain text with bold marks."""
    text = Text()
    for i, fragment in enumerate(fragments):
        if i:
            text.append(" … ")
        position = 0
        for match in _MARK.finditer(fragment):
            text.append(html.unescape(fragment[position : match.start()]))
            text.append(html.unescape(match.group(1)), style="bold")
            position = match.end()
        text.append(html.unescape(fragment[position:]))
    return text


def _count(value: Any, unit: str) -> str | None:
    return f"{value:,} {unit}" if isinstance(value, int) else None


def reach(fields: dict[str, Any]) -> str:
    """``1,954 followers · 10 likes · 6,391 views`` (the figures the post has)."""
    parts = [
        _count(fields.get("post.author.followers"), "followers"),
        _count(fields.get("post.engagement.likes"), "likes"),
        _count(fields.get("post.engagement.views"), "views"),
    ]
    return " · ".join(p for p in parts if p)


def _line(*parts: Any) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def _indented(renderable: RenderableType) -> Padding:
    return Padding(renderable, (0, 0, 0, INDENT))


def render_lines(console: Console, block: tuple[str, Group]) -> list[str]:
    """The lines `console` would print for a `hit_block`/`hit_detail` (styled when it is a
    terminal), the id never wrapped and no line padded with trailing blanks. Prints nothing."""
    hit_id, body = block
    with console.capture() as captured:
        console.print(hit_id, style="bold", soft_wrap=True, markup=False)
        console.print(body)
    return [line.rstrip() for line in captured.get().splitlines()]


def hit_block(hit: dict[str, Any]) -> tuple[str, Group]:
    """One search result (API shape): its id (print it with ``soft_wrap=True`` so it is never
    cut), then when/where/who, reach, narrative/stance/score/review and the text (highlights, or
    the post text), indented."""
    f = hit["fields"]
    author = f.get("post.author.handle")
    when = (f.get("post.created_at") or "").replace("T", " ")[:16]
    score = f.get("scores.combined")
    fragments = (hit.get("highlight") or {}).get("post.text")
    body = highlighted(fragments) if fragments else Text(f.get("post.text") or "")
    figures = reach(f)
    return hit["id"], Group(
        _indented(Text(_line(when, f.get("post.platform"), author and f"@{author}"))),
        *([_indented(Text(figures))] if figures else []),
        _indented(
            Text(
                _line(
                    f.get("narrative.id"),
                    f.get("narrative.severity"),
                    f.get("stance") or "stance ?",
                    f"score {score:.2f}" if isinstance(score, float | int) else None,
                    f.get("review.state") or "unreviewed",
                )
            )
        ),
        _indented(body),
    )


def _score(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float | int) else "?"


def audit_change(entry: dict[str, Any]) -> str:
    """What one audit entry changed: a review state, or an escalation's status."""
    escalation = entry.get("escalation")
    if escalation:
        before = escalation.get("before_status") or "new"
        return (
            f"escalation {escalation['action']} ({escalation['platform']}): "
            f"{before} -> {escalation['status']}"
        )
    return (
        f"{(entry.get('before') or {}).get('state')} -> {(entry.get('after') or {}).get('state')}"
    )


def hit_detail(detail: dict[str, Any]) -> tuple[str, Group]:
    """``narrmon hits show``: the id (as `hit_block`), then the post, the narrative, why it was
    flagged and the reviews."""
    hit, review = detail["hit"], detail["review"]
    post, narrative = hit["post"], hit["narrative"]
    ex = hit.get("explanation") or {}
    author = (post.get("author") or {}).get("handle")
    engagement = post.get("engagement") or {}
    figures = {
        "post.author.followers": (post.get("author") or {}).get("followers"),
        "post.engagement.likes": engagement.get("likes"),
        "post.engagement.views": engagement.get("views"),
    }
    history = [
        Text(
            f"{e['at']} {e['reviewer']}: {audit_change(e)}"
            + (f" ({e['note']})" if e.get("note") else "")
        )
        for e in detail["history"]
    ]
    keywords = ", ".join(ex.get("keywords_matched") or []) or "-"
    return detail["id"], Group(
        _indented(Text(f"index {detail['index']}")),
        _indented(Text(_line(post.get("platform"), author and f"@{author}", post["created_at"]))),
        _indented(Text(reach(figures) or "reach unknown")),
        _indented(Text(post.get("url") or "", overflow="fold")),
        Text(""),
        _indented(Text(post.get("text") or "")),
        Text(""),
        Text("narrative", style="bold"),
        _indented(Text(f"{narrative['id']}: {narrative.get('title') or ''}")),
        _indented(Text(_line(narrative.get("severity"), narrative.get("verdict")))),
        Text("why flagged", style="bold"),
        _indented(Text(ex.get("summary") or "-")),
        _indented(Text(f"closest exemplar: {ex.get('best_exemplar') or '-'}")),
        _indented(
            Text(
                f"score {_score(ex.get('fused_score'))} (threshold {ex.get('threshold')}; "
                f"dense {_score(ex.get('dense_score'))}, lexical {_score(ex.get('lexical_score'))})"
            )
        ),
        _indented(Text(f"stance {hit.get('stance') or '?'}: {ex.get('stance_evidence') or '-'}")),
        _indented(Text(f"keywords: {keywords}")),
        Text("review", style="bold"),
        _indented(Text(f"{review['state']} by {review.get('reviewer') or '-'}")),
        *(_indented(line) for line in history),
    )
