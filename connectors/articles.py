"""Article files (plain text, HTML) -> one `Post` per article, split by the oversize rule."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from connectors.article_parsing import parse_article
from connectors.base import OversizePolicy, RawItem
from connectors.jsonl import file_mtime
from models.errors import InvalidRecord
from models.records import Post, utc_now
from models.text import detect_language

logger = logging.getLogger(__name__)

ARTICLE_SUFFIXES = frozenset({".txt", ".text", ".md", ".html", ".htm"})
_LANGUAGE_SAMPLE_CHARS = 2_000


def article_id(content: bytes) -> str:
    """``web:<sha256 of the file's bytes, 16 hex digits>``: the same file always has the same id."""
    return "web:" + hashlib.sha256(content).hexdigest()[:16]


class ArticleConnector:
    """Reads article files (or every article file in a folder, sorted by name) as posts.

    `items()` yields one `RawItem` per file (its bytes, origin = path, mtime). `normalise()` parses
    title, date and body (`connectors.article_parsing`), platform ``web``, id `article_id`; the
    date falls back to the file's mtime. Rejects ``invalid_utf8`` and ``missing_text`` (no body).
    Over-long articles are split into parts (``oversize = "split"``).
    """

    oversize: OversizePolicy = "split"

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        source: str,
        platform: str = "web",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.paths = list(paths)
        self.source = source
        self.platform = platform
        self._clock = clock

    def items(self) -> Iterator[RawItem]:
        for path in self.paths:
            files = (
                sorted(p for p in path.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES)
                if path.is_dir()
                else [path]
            )
            for file in files:
                logger.info("reading article %s", file)
                yield RawItem(
                    data=file.read_bytes(), origin=str(file), modified_at=file_mtime(file)
                )

    def normalise(self, raw: RawItem) -> Post:
        if not isinstance(raw.data, bytes):
            raise InvalidRecord("schema_error", "an article item must be bytes")
        try:
            content = raw.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidRecord("invalid_utf8", f"byte {exc.start}: {exc.reason}") from exc
        parsed = parse_article(content, raw.origin)
        if not parsed.body:
            raise InvalidRecord("missing_text", "the article has no body text")
        now = self._clock()
        return Post(
            id=article_id(raw.data),
            platform=self.platform,
            source=self.source,
            text=parsed.body,
            title=parsed.title,
            url=parsed.url,
            created_at=parsed.published_at or raw.modified_at or now,
            language=detect_language(parsed.body[:_LANGUAGE_SAMPLE_CHARS]),
            ingested_at=now,
            raw={"origin": raw.origin, "bytes": len(raw.data)},
        )
