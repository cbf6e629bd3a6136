"""Sources -> normalised `Post` records -> Kafka. Never imports Faust (nor `pipeline`).

Each source is a `Connector` (`connectors.base`): ``items()`` yields raw items with their origin,
``normalise(raw)`` is a pure function returning a `Post` or raising `models.errors.InvalidRecord`
with a `DeadLetterReason` (the one bad-record signal every parser in narrmon raises).
`connectors.replay.replay` is the glue that applies the oversize rule, paces, and hands posts and
dead letters to a sink (`connectors.publisher.Publisher` for Kafka).

Sources: `JsonlConnector` (`connectors.jsonl`), `CsvConnector` (`connectors.csv_file`),
`ArticleConnector` (`connectors.articles`, plain-text and HTML articles). Live platform sources
(Bluesky, Mastodon, RSS/Atom, X, Telegram) live in `connectors.live`.

Oversize rule (``settings.worker.max_post_chars``, default 20,000 characters of normalised text):

- Articles (platform ``web``) longer than the limit are split at paragraph boundaries into parts of
  at most that many characters. Each part is its own `Post` with id ``{parent}#p{index}``
  (index from 0) and ``part = Part(parent_id, index, count)``; title, url and date are repeated
  on every part. A paragraph longer than the limit is split at line, then sentence, then word
  boundaries; no text is dropped.
- Short-form posts (JSONL, CSV) longer than the limit are never truncated or split: the record is
  dead-lettered with reason ``oversized`` and its original bytes. The rule is
  `connectors.size.refuse_oversized`, which the worker's intake calls too.

Nothing is lost silently: every input record ends up either published to the posts topic or
published to the dead-letter topic as a `DeadLetter` (reason, detail, original bytes).
"""

from connectors.base import Connector, OversizePolicy, RawItem

__all__ = ["Connector", "OversizePolicy", "RawItem"]
