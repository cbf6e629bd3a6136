"""Post text as the matcher sees it: boilerplate that carries no claim is removed.

Pure functions. `clean_post_text` strips URLs (incl. ``pic.twitter.com``), the trailing tweet
attribution that embeds copy in (``— Name (@handle) February 25, 2016``), ``RT @x:`` prefixes,
``&amp;`` entities, and the ``#``/``@`` sigils (the words stay: hashtags often name the claim).
It never returns an empty string for a non-empty input (it falls back to the original).
"""

from __future__ import annotations

import datetime as dt
import html
import re

_URL = re.compile(r"(?:https?://|www\.)\S+|pic\.twitter\.com/\S+", re.IGNORECASE)
_ATTRIBUTION = re.compile(
    "\\s*[\u2014\u2013-]{1,2}\\s*[^\u2014\u2013\n]{0,80}\\(@\\w{1,30}\\)\\s*"
    r"(?:[A-Z][a-z]+\.? \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]+ \d{4})?\s*$"
)
_RETWEET = re.compile(r"^RT @\w+:\s*")
_SIGIL = re.compile(r"(?<!\w)[#@](\w)")
_SPACES = re.compile(r"\s+")


def clean_post_text(text: str) -> str:
    """The claim-bearing part of a post, for embedding and BM25."""
    cleaned = html.unescape(text)
    cleaned = _ATTRIBUTION.sub("", cleaned)
    cleaned = _URL.sub(" ", cleaned)
    cleaned = _RETWEET.sub("", cleaned)
    cleaned = _SIGIL.sub(r"\1", cleaned)
    cleaned = _SPACES.sub(" ", cleaned).strip()
    return cleaned or text.strip()


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_ATTRIBUTION_DATE = re.compile(
    rf"\(@\w{{1,30}}\)\s*(?:(?P<md>(?:{_MONTHS}) \d{{1,2}}, \d{{4}})"
    rf"|(?P<dm>\d{{1,2}} (?:{_MONTHS}) \d{{4}}))\s*$"
)


def post_date(text: str) -> dt.date | None:
    """The date in a tweet's trailing attribution (``— Name (@handle) February 25, 2016``), as
    embedded tweets carry it; None when there is none. Call it on the raw text: `clean_post_text`
    removes the attribution."""
    found = _ATTRIBUTION_DATE.search(text.strip())
    if found is None:
        return None
    value, fmt = (found["md"], "%B %d, %Y") if found["md"] else (found["dm"], "%d %B %Y")
    try:
        return dt.datetime.strptime(value, fmt).date()
    except ValueError:
        return None


def claim_read_date(text: str, created: dt.date) -> dt.date:
    """The date a post's claim is matched at: a tweet attribution's date in the text when there is
    one (the post quotes or embeds a dated tweet, so its claim is as old as the tweet), else the
    date the post was `created` (the platform's timestamp, or when a connector first saw it)."""
    return post_date(text) or created
