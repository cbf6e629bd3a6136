"""Lexical matching: BM25 (bm25s) over one document per narrative, with an absolute score.

Contracts:
- `LexicalIndex(documents)` indexes one text per narrative (its title, exemplars and keywords,
  keywords repeated so they weigh more). `scores(query)` returns one float per narrative.
- Raw BM25 is unbounded and depends on the query's length, so it cannot carry a threshold. We
  report `normalised` BM25: the raw score divided by the query's *self weight*, the sum of the IDF
  of its distinct indexed terms over ``1 + k1``. With term frequency 1 and an average-length
  document a term adds ``idf / (1 + k1)`` to (bm25s' Lucene) BM25, so the result reads as "the
  IDF-weighted share of the post's words found in the narrative", roughly in [0, 1] (clipped).
  With ``unknown_terms=True`` (the matcher's default) words that occur in NO narrative count in
  the self weight too, at the IDF of a term with document frequency 0: otherwise, against a small
  catalog, a post sharing one word with a narrative and none with the rest scores 1.0 (on the
  10-narrative election catalog most chatter did). ``False`` keeps the original behaviour, with
  which the shipped CheckThat! re-ranker was fit.
- Candidates without a full scan: `prepare(query)` tokenises once; `top_k(prepared, k)` returns
  the `k` best narratives (positive score only) and `scores_of(prepared, ids)` the scores of any
  narratives, both from bm25s' inverted index (`models.matching.lexical_topk`), touching only the
  query terms' postings, and equal bit for bit to the same entries of `scores(query)`.
- Tokens: lower-case words of 2+ characters, English stop words removed, a light plural/verb
  suffix strip (no stemmer package is needed).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from models.matching.lexical_topk import Postings

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS_TEXT = """
a about above after again against all am an and any are as at be because been before being
below between both but by can did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves
out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where
which while who whom why will with you your yours yourself yourselves rt amp via
"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def _stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith("es") and token[-3] in "sxz":
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


@functools.lru_cache(maxsize=1024)
def _document_tokens(document: str) -> frozenset[str]:
    """A narrative document's tokens (the same documents come back for every hit)."""
    return frozenset(tokenize(document))


def tokenize(text: str) -> list[str]:
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOPWORDS]


def _import_bm25s() -> Any:
    """bm25s, without letting it import numba. bm25s imports numba at import time whenever it is
    installed (for a retrieval backend we do not use), which costs every process ~110 MB; numba
    is installed for `models.matching.lexical_maxscore`, which imports it only for catalogs large
    enough to prune. A None entry in ``sys.modules`` makes that import fail as if absent."""
    if "bm25s" in sys.modules or "numba" in sys.modules:
        import bm25s

        return bm25s
    sys.modules["numba"] = None  # type: ignore[assignment]
    try:
        import bm25s
    finally:
        del sys.modules["numba"]
    return bm25s


@dataclasses.dataclass(frozen=True)
class LexicalQuery:
    """A tokenised query: indexed term ids in query order (repeats kept) and its self weight."""

    terms: npt.NDArray[np.int64]
    weight: float


def _normalise(raw: npt.NDArray[np.float32], weight: float) -> npt.NDArray[np.float32]:
    return np.clip(raw / weight, 0.0, 1.0).astype(np.float32) if weight > 0 else raw * 0


class LexicalIndex:
    """BM25 over narrative documents; scores are normalised (see module docstring)."""

    def __init__(
        self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75,
        *, unknown_terms: bool = False,
    ) -> None:  # fmt: skip
        bm25s = _import_bm25s()
        self.size = len(documents)
        corpus = [tokenize(d) or ["\u2205"] for d in documents]
        self._k1 = k1
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self._bm25.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                df[token] = df.get(token, 0) + 1
        n = max(self.size, 1)
        self._idf = {t: float(np.log(1.0 + (n - f + 0.5) / (f + 0.5))) for t, f in df.items()}
        self._zero_df_idf = float(np.log(1.0 + (n + 0.5) / 0.5))
        self._unknown_idf = self._zero_df_idf if unknown_terms else 0.0
        index = self._bm25.scores
        self._vocab: dict[str, int] = self._bm25.vocab_dict
        self._postings = Postings(index["data"], index["indices"], index["indptr"], self.size)

    def idf(self, token: str) -> float:
        """A token's IDF over the narrative documents; a token no document holds gets the IDF of
        document frequency 0 (whatever ``unknown_terms``: `models.matching.coverage` reads it)."""
        known = self._idf.get(token)
        return known if known is not None else self._zero_df_idf

    def query_weight(self, tokens: Sequence[str]) -> float:
        """What one average-length document holding each distinct query term once scores
        (bm25s' Lucene variant scores a term ``idf * tf / (tf + k1 * length_norm)``)."""
        return sum(self._idf.get(t, self._unknown_idf) for t in set(tokens)) / (1.0 + self._k1)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """Normalised BM25 of `query` against every narrative document, in [0, 1]."""
        all_tokens = tokenize(query)
        tokens = [t for t in all_tokens if t in self._idf]
        if not tokens or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        raw = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        return _normalise(raw, self.query_weight(all_tokens))

    def prepare(self, query: str) -> LexicalQuery:
        """`query` tokenised for `top_k` and `scores_of`."""
        all_tokens = tokenize(query)
        terms = [self._vocab[t] for t in all_tokens if t in self._idf]
        return LexicalQuery(np.asarray(terms, dtype=np.int64), self.query_weight(all_tokens))

    def top_k(
        self, query: LexicalQuery, k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The `k` narratives with the highest positive score, and those scores, best first
        (ties, such as scores clipped at 1, by raw BM25, then ascending id); only the query
        terms' postings are read."""
        ids, raw = self._postings.top_k(query.terms, k)
        return ids, _normalise(raw, query.weight)

    def postings(self, query: LexicalQuery) -> tuple[int, int]:
        """(postings of the query's terms, postings this thread's last `top_k` walked); a full
        scan reads the first number, for benchmarks."""
        indptr = self._postings.indptr
        return int(
            (indptr[query.terms + 1] - indptr[query.terms]).sum()
        ), self._postings.last_walked

    def scores_of(self, query: LexicalQuery, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Normalised BM25 of the narratives `ids`, the same values `scores` gives them."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(query.terms) or not len(ids):
            return np.zeros(len(ids), dtype=np.float32)
        return _normalise(self._postings.raw_scores(query.terms, ids), query.weight)

    def matched_terms(self, query: str, document: str) -> list[str]:
        """Query words (as written) whose token occurs in `document`; for explanations."""
        doc_tokens = _document_tokens(document)
        out: list[str] = []
        for word in _TOKEN.findall(query.lower()):
            if word not in _STOPWORDS and _stem(word) in doc_tokens and word not in out:
                out.append(word)
        return out
