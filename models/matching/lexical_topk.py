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

How (MaxScore, term at a time): terms are walked whole, highest possible contribution first
(rare, high-IDF terms). After each walk the full scores of the best `_PROBE` documents it found
are completed from a document-major copy of the matrix; the k-th best full score so far bounds
the answer's k-th score from below. Documents holding a rare query term usually hold the common
ones too, so the bound rises fast, and once what the unwalked terms can add at most is below it
no unseen document can reach the top k: the long, low-IDF postings are not walked. The unwalked
terms are then only looked up for the documents seen, highest bound first, dropping those whose
partial score plus what is left cannot reach the k-th best, and the survivors are scored
exactly. Memory: one more copy of the matrix (document-major), 8 bytes per entry.
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
# how many documents per walked term have their full score completed for the bound
_PROBE = 128


class _Scratch:
    """Per-thread buffers, all zero between calls."""

    def __init__(self, n_docs: int, n_terms: int) -> None:
        self.partial = np.zeros(n_docs, dtype=np.float64)
        self.position = np.zeros(n_docs, dtype=np.int32)  # 1 + index in a candidate list
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
        self._local = threading.local()

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

    def _full_scores(self, docs: npt.NDArray[np.integer], weights: Doubles) -> Doubles:
        """Raw scores of `docs` in float64 (any summation order), for the query `weights`."""
        rows, owner = self._entries(docs)
        contributions = self._doc_data[rows] * weights[self._doc_terms[rows]]
        return np.bincount(owner, weights=contributions, minlength=len(docs)).astype(np.float64)

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
        """Documents that may be in the top `k` (a superset of it)."""
        unique, counts = np.unique(terms, return_counts=True)
        factor = counts.astype(np.float64)
        bound = factor * self.max_impact[unique]
        order = np.argsort(-bound, kind="stable")
        unique, factor = unique[order], factor[order]
        rest = np.append(np.cumsum(bound[order][::-1])[::-1], 0.0)  # rest[i]: most terms i.. add
        scratch = self._scratch()
        scratch.weights[unique] = factor
        partial = scratch.partial
        probed = np.zeros(0, dtype=np.int32)
        best = np.zeros(0, dtype=np.float64)  # full scores of `probed`
        theta, i = 0.0, 0
        scratch.walked = 0
        try:
            # walk whole terms, highest bound first, until no unseen document can reach the top k
            while i < len(unique) and not (len(best) >= k and rest[i] < theta * (1.0 - _MARGIN)):
                start, end = self.indptr[unique[i]], self.indptr[unique[i] + 1]
                column = self._col_docs[start:end]
                np.add.at(partial, column, factor[i] * self._col_data[start:end])
                scratch.walked += len(column)
                i += 1
                if i == len(unique):
                    break
                if len(column) > _PROBE:  # complete the best partial scores of this term's
                    column = column[np.argpartition(-partial[column], _PROBE - 1)[:_PROBE]]
                column = np.setdiff1d(column, probed, assume_unique=True)
                probed = np.concatenate([probed, column])
                best = np.concatenate([best, self._full_scores(column, scratch.weights)])
                if len(best) >= k:
                    keep = np.argpartition(-best, k - 1)[:k]
                    probed, best = probed[keep], best[keep]
                    theta = max(theta, float(best.min()))
            bound_now = theta * (1.0 - _MARGIN) - rest[i]
            docs = np.flatnonzero(partial >= max(bound_now, 1e-300)).astype(np.int32)
            scores = partial[docs]
        finally:
            scratch.weights[unique] = 0.0
            partial.fill(0.0)
        return self._survivors(
            docs, scores, terms=unique[i:], factor=factor[i:], rest=rest[i:], theta=theta, k=k
        )

    def _survivors(
        self, docs: npt.NDArray[np.int32], partial: Doubles, *, terms: Ints, factor: Doubles,
        rest: Doubles, theta: float, k: int,
    ) -> Ints:  # fmt: skip
        """Of the seen `docs` (ascending, with their `partial` scores), those that may still
        reach the top k: the unwalked `terms` are looked up for them, highest bound first,
        dropping those whose partial score plus what is left cannot reach the k-th best."""
        for j, term in enumerate(terms):
            if len(docs) <= k:
                break
            self._add_term(int(term), factor[j], docs, partial)
            if len(docs) >= k:
                theta = max(theta, float(np.partition(partial, len(docs) - k)[len(docs) - k]))
            keep = partial + rest[j + 1] >= theta * (1.0 - _MARGIN)
            docs, partial = docs[keep], partial[keep]
        return docs.astype(np.int64)

    def _add_term(
        self, term: int, factor: float, docs: npt.NDArray[np.int32], partial: Doubles
    ) -> None:
        """partial += factor * (score of `term` in each of `docs`, ascending), by binary search
        in the term's postings or, when they are shorter than the searches, by walking them."""
        start, end = self.indptr[term], self.indptr[term + 1]
        if end - start > len(docs) * 8:
            hit, values = self._lookup(term, docs)
            partial[hit] += factor * values
            return
        position = self._scratch().position
        position[docs] = np.arange(1, len(docs) + 1, dtype=np.int32)
        try:
            found = position[self._col_docs[start:end]]
            held = found > 0
            partial[found[held] - 1] += factor * self._col_data[start:end][held]
        finally:
            position[docs] = 0

    def _lookup(
        self, term: int, docs: npt.NDArray[np.int32]
    ) -> tuple[npt.NDArray[np.bool_], Floats]:
        """Which of `docs` (ascending) hold `term`, and its score in each of those."""
        column = self._col_docs[self.indptr[term] : self.indptr[term + 1]]
        values = self._col_data[self.indptr[term] : self.indptr[term + 1]]
        pos = np.minimum(np.searchsorted(column, docs), len(column) - 1)
        hit = column[pos] == docs
        return hit, values[pos[hit]]
