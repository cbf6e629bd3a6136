"""Pure text normalisation and language detection for posts."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[^\S\n]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_text(text: str) -> str:
    """Unicode NFC, no control characters, runs of spaces/tabs collapsed, line endings unified,
    at most one blank line between paragraphs, stripped. Never truncates."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", text).strip()


@lru_cache(maxsize=1)
def _identifier() -> object:
    import py3langid

    return py3langid


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language (py3langid), or None for text too short to tell."""
    if len(text.strip()) < 3:
        return None
    langid = _identifier()
    code, _score = langid.classify(text)  # type: ignore[attr-defined]
    return str(code)
