"""Pure parsing of article files (plain text and HTML) into title, date, url and body text.

Plain text: an optional `` date YYYY-MM-DD `` prefix (as the seed articles have), then an optional
title line (short, first of several lines, not ending like a sentence), else a dateline such as
``(August 13, 2024)`` at the start of one of the first lines. HTML: ``<title>`` (or ``og:title``),
``<meta property="article:published_time">`` (or a few common equivalents), the canonical URL,
and the visible body text with block elements as paragraph breaks, via the stdlib `html.parser`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

from models.text import normalise_text

_DATE_PREFIX = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})(?:\s+|$)", re.IGNORECASE)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATELINE = re.compile(rf"^\W{{0,2}}({_MONTHS})\s+(\d{{1,2}}),\s+(\d{{4}})\b", re.IGNORECASE)
_SENTENCE_END = tuple(".!?:;,\"')…\u201d\u2019")
_TITLE_MAX_CHARS = 150
_TITLE_MAX_WORDS = 20


@dataclass(frozen=True)
class ParsedArticle:
    """What an article file says about itself. `body` is normalised text (may be empty)."""

    body: str
    title: str | None = None
    published_at: datetime | None = None
    url: str | None = None


def looks_like_html(content: str, name: str = "") -> bool:
    """True for ``.html``/``.htm`` names or content that starts like an HTML document."""
    if name.lower().endswith((".html", ".htm")):
        return True
    head = content.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


def parse_article(content: str, name: str = "") -> ParsedArticle:
    """Parse one article; HTML or plain text by `looks_like_html`."""
    if looks_like_html(content, name):
        return parse_html_article(content)
    return parse_text_article(content)


def parse_text_article(content: str) -> ParsedArticle:
    """Parse a plain-text article (see module docstring for the rules)."""
    text = content.lstrip("\ufeff")
    published_at: datetime | None = None
    prefix = _DATE_PREFIX.match(text)
    if prefix:
        published_at = _parse_iso(prefix.group(1))
        text = text[prefix.end() :]
    text = normalise_text(text)
    lines = [line for line in text.split("\n") if line]
    title: str | None = None
    if len(lines) > 1 and _is_title(lines[0]):
        title = lines[0]
        text = text[len(lines[0]) :].strip()
    if published_at is None:
        for line in text.split("\n")[:3]:
            published_at = _parse_dateline(line)
            if published_at:
                break
    return ParsedArticle(body=text, title=title, published_at=published_at)


def parse_html_article(content: str) -> ParsedArticle:
    """Parse an HTML article (see module docstring for the rules)."""
    parser = _ArticleHTMLParser()
    parser.feed(content)
    parser.close()
    title = normalise_text(parser.title) or parser.meta.get("og:title")
    published = None
    for key in ("article:published_time", "og:published_time", "datepublished", "date", "dc.date"):
        if parser.meta.get(key):
            published = _parse_iso(parser.meta[key])
            if published:
                break
    url = parser.canonical or parser.meta.get("og:url")
    body = normalise_text("".join(parser.body))
    return ParsedArticle(body=body, title=title or None, published_at=published, url=url)


def _is_title(line: str) -> bool:
    return (
        len(line) <= _TITLE_MAX_CHARS
        and len(line.split()) <= _TITLE_MAX_WORDS
        and not line.endswith(_SENTENCE_END)
        and not _DATELINE.match(line)
    )


def _parse_iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _parse_dateline(line: str) -> datetime | None:
    match = _DATELINE.match(line)
    if not match:
        return None
    try:
        return datetime.strptime(
            f"{match.group(1)} {match.group(2)} {match.group(3)}", "%B %d %Y"
        ).replace(tzinfo=UTC)
    except ValueError:
        return None


_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "nav"})
_BLOCK = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote",
        "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "tr", "figure",
        "figcaption", "hr", "dd", "dt",
    }
)  # fmt: skip
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "source", "wbr", "area", "base"})
_WHITESPACE = re.compile(r"\s+")


class _ArticleHTMLParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.body: list[str] = []
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta":
            key = (attributes.get("property") or attributes.get("name") or "").lower()
            if key and "content" in attributes:
                self.meta.setdefault(key, attributes["content"].strip())
        elif tag == "link" and "canonical" in attributes.get("rel", "").lower().split():
            self.canonical = attributes.get("href") or None
        elif tag == "title":
            self._in_title = True
        if tag in _SKIP and tag not in _VOID:
            self._skip_depth += 1
        if tag == "br":
            self.body.append("\n")
        elif tag in _BLOCK:
            self.body.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIP and self._skip_depth:
            self._skip_depth -= 1
        if tag in _BLOCK:
            self.body.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip_depth:
            self.body.append(_WHITESPACE.sub(" ", data))
