"""Exact BM25 top-k from the inverted index, without scoring every document.

Contracts:
- `Postings(data, indices, indptr, n_docs)` wraps a term-major CSC matrix of per-document term
  scores (bm25s' eager index: column `t` lists the documents containing term `t`, ascending,
  and the BM25 score the term adds to each). All contributions are >= 0.
- `raw_scores(terms, docs)`: raw BM25 of `docs` (any order, repeats allowed) for a query given
  as term ids in query order, repeats included. Summed in float32 in query order, as bm25s'
  `get_scores` does, so the values are bit-identical to a full scan.
- `top_k(terms, k)`: the (at most) `k` documents with the highest positive raw score and their
  `raw_scores`, best first, ties by ascending id. Exact: pruning is a speed-up, never an
  approximation. A query whose terms have at most `scan_limit` postings in all is answered by
  adding them all up (cheaper than pruning's bookkeeping there); longer ones are pruned.
- Per-thread scratch buffers (`n_docs` and vocabulary sized): threads may share one `Postings`.

How: a query whose postings are too many to add up is pruned exactly (MaxScore: walk the rare,
high-IDF terms, bound the k-th score from below, look the long low-IDF postings up only for the
documents already seen) by a compiled kernel (`models.matching.lexical_maxscore`, numba), which
returns a small superset of the top k; its documents are then scored exactly here. The kernel is
compiled when a `Postings` is built with more entries than `scan_limit` (a few seconds and ~250
MB of compiler once per process; smaller indices never import numba). Memory: one more copy of
the matrix (document-major), 8 bytes per entry, and per thread 16 bytes per document.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]
Doubles = npt.NDArray[np.float64]

# Bounds are float64 sums in another order than the exact float32 scores; a relative margin far
# above that rounding keeps a document on the boundary from being dropped.
_MARGIN = 1e-4
# up to this many postings for a query, adding them all up beats pruning's bookkeeping; between
# `benchmarks/bench_match.py --lexical`'s 10^4 row (~2*10^4 postings per query: the scan wins)
# and its 10^6 row (~2*10^6: pruning wins), see models/README.md
SCAN_LIMIT = 500_000


class _Scratch:
    """Per-thread buffers, all zero between calls."""

    def __init__(self, n_docs: int, n_terms: int) -> None:
        # the pruning kernel's (`models.matching.lexical_maxscore`)
        self.doc_slot = np.zeros(n_docs, dtype=np.int32)
        self.touched = np.zeros(n_docs, dtype=np.int32)
        self.seen = np.zeros(n_docs, dtype=np.float64)
        self.sums = np.zeros(n_docs, dtype=np.float32)  # the scan's exact float32 scores
        self.weights = np.zeros(n_terms, dtype=np.float64)  # query term -> its count
        self.slot = np.zeros(n_terms, dtype=np.int64)  # query term -> 1 + its distinct index
        self.walked = 0


class Postings:
    """BM25 term scores, term-major and document-major."""

    def __init__(
        self,
        data: npt.ArrayLike,
        indices: npt.ArrayLike,
        indptr: npt.ArrayLike,
        n_docs: int,
        scan_limit: int = SCAN_LIMIT,
    ) -> None:
        self.scan_limit = scan_limit
        data = np.asarray(data, dtype=np.float32)
        docs = np.asarray(indices).astype(np.int32, copy=False)
        self._col_docs, self._col_data = docs, data  # each term's postings by document
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.n_docs = n_docs
        lengths = np.diff(self.indptr)
        self._n_terms = len(lengths)
        self.max_impact = np.zeros(len(lengths), dtype=np.float64)  # each term's best score
        nonempty = lengths > 0
        if nonempty.any():
            starts = self.indptr[:-1][nonempty]
            self.max_impact[nonempty] = np.maximum.reduceat(data, starts)
        # document-major (terms ascending within a document), for completing scores
        by_doc = np.argsort(docs, kind="stable")
        terms = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
        self._doc_terms, self._doc_data = terms[by_doc], data[by_doc]
        del by_doc, terms
        self._doc_indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(docs, minlength=n_docs), out=self._doc_indptr[1:])
        self._arrays = (
            self._col_docs, self._col_data, self.indptr,
            self._doc_indptr, self._doc_terms, self._doc_data,
        )  # fmt: skip
        self._local = threading.local()
        if len(data) > scan_limit:  # some query may need pruning: compile its kernel now
            from models.matching import lexical_maxscore

            lexical_maxscore.warm_up()

    @property
    def last_walked(self) -> int:
        """Postings walked by this thread's last `top_k` (a full scan walks them all)."""
        return self._scratch().walked

    def _scratch(self) -> _Scratch:
        scratch: _Scratch | None = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = _Scratch(self.n_docs, self._n_terms)
        return scratch

    def _entries(self, docs: npt.NDArray[np.integer]) -> tuple[Ints, Ints]:
        """Rows of `docs` in the document-major arrays, and which of `docs` each belongs to."""
        starts = self._doc_indptr[docs]
        lengths = self._doc_indptr[np.asarray(docs, dtype=np.int64) + 1] - starts
        offsets = np.cumsum(lengths) - lengths
        rows = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
        return rows, np.repeat(np.arange(len(docs)), lengths)

    def raw_scores(self, terms: Ints, docs: Ints) -> Floats:
        """Raw BM25 of `docs` for the query `terms` (see module docstring)."""
        terms = np.asarray(terms, dtype=np.int64)
        docs = np.asarray(docs, dtype=np.int64)
        out = np.zeros(len(docs), dtype=np.float32)
        if not len(docs) or not len(terms):
            return out
        unique = np.unique(terms)
        slot = self._scratch().slot
        slot[unique] = np.arange(1, len(unique) + 1)
        try:
            rows, owner = self._entries(docs)
            column = slot[self._doc_terms[rows]]
            found = column > 0
            table = np.zeros((len(docs), len(unique) + 1), dtype=np.float32)
            table[owner[found], column[found]] = self._doc_data[rows[found]]
            for term_slot in slot[terms]:  # query order: float32 sums as bm25s makes them
                out += table[:, term_slot]  # adding 0.0 where the term is absent is exact
        finally:
            slot[unique] = 0
        return out

    def top_k(self, terms: Ints, k: int) -> tuple[Ints, Floats]:
        """The `k` best documents with a positive score, and their raw scores, best first."""
        terms = np.asarray(terms, dtype=np.int64)
        if k <= 0 or not len(terms):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        lengths = self.indptr[terms + 1] - self.indptr[terms]
        if int(lengths.sum()) <= self.scan_limit:
            docs, scores = self._scan(terms, k)
        else:
            docs = self._candidates(terms, k)
            scores = self.raw_scores(terms, docs)
        best = np.lexsort((docs, -scores))[:k]
        best = best[scores[best] > 0]
        return docs[best], scores[best]

    def _scan(self, terms: Ints, k: int) -> tuple[Ints, Floats]:
        """The top `k` from all the query's postings added up (float32, query order: the sums
        bm25s makes) into a score per document; O(documents + postings), tiny constants."""
        scratch = self._scratch()
        sums = scratch.sums
        scratch.walked = 0
        try:
            for term in terms:
                start, end = self.indptr[term], self.indptr[term + 1]
                np.add.at(sums, self._col_docs[start:end], self._col_data[start:end])
                scratch.walked += int(end - start)
            if k < self.n_docs:
                kth = float(np.partition(sums, self.n_docs - k)[self.n_docs - k])
                docs = np.flatnonzero(sums >= kth) if kth > 0 else np.flatnonzero(sums)
            else:
                docs = np.flatnonzero(sums)
            scores = sums[docs]
        finally:
            sums.fill(0.0)
        best = np.lexsort((docs, -scores))[:k]
        return docs[best].astype(np.int64), scores[best]

    def _candidates(self, terms: Ints, k: int) -> Ints:
        """Documents that may be in the top `k` (a superset of it, see the module docstring)."""
        from models.matching import lexical_maxscore

        unique, counts = np.unique(terms, return_counts=True)
        factor = counts.astype(np.float64)
        bound = factor * self.max_impact[unique]
        order = np.argsort(-bound, kind="stable")
        unique, factor = unique[order], factor[order]
        rest = np.append(np.cumsum(bound[order][::-1])[::-1], 0.0)  # rest[i]: most terms i.. add
        scratch = self._scratch()
        scratch.weights[unique] = factor
        try:
            docs, scratch.walked = lexical_maxscore.candidates(
                self._arrays, terms=unique, factor=factor, rest=rest, weights=scratch.weights,
                k=k, margin=_MARGIN, scratch=(scratch.doc_slot, scratch.touched, scratch.seen),
            )  # fmt: skip
        finally:
            scratch.weights[unique] = 0.0
        return docs
