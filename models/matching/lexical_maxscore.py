"""Compiled MaxScore candidate search for `models.matching.lexical_topk.Postings` (numba).

Contract: `candidates(...)` returns a superset of the documents that can be in the top k of a
query (BM25 contributions >= 0), usually not many more than k, plus the postings it walked. The
caller scores them exactly (float32, query order) and ranks them; this module never decides the
final order, so its float64 sums only need to be close (the relative `margin` covers rounding).

How (term at a time, then document at a time):
1. The query's distinct terms come highest possible contribution first (rare, high-IDF terms);
   ``rest[i]`` is what terms ``i..`` can add at most. Short postings (a term in at most
   1/`CHEAP_SHARE` of the documents) are always walked into per-document partial scores. Before a
   long one, the full scores (from the document-major copy of the matrix) of the `PROBE`·k best
   partial scores bound the k-th best final score from below; once ``rest[i]`` is below that
   bound no unseen document can reach the top k, and the term is walked only if that is cheaper
   than checking the documents seen that still may (`DOC_COST`). Documents holding a rare term
   usually hold the common ones too, so the longest, low-IDF postings are usually never walked.
2. Those documents are checked on their own entries, highest partial score first, until even
   the best remaining one cannot reach the k-th best full score found; the checked ones within
   `margin` of the k-th best are the candidates.

The first call compiles the kernel (a few seconds and ~250 MB of compiler, once per process);
`warm_up` does it early. Only catalogs large enough for pruning (`Postings.scan_limit`) ever
import numba. `CHEAP_SHARE`, `PROBE` and `DOC_COST` were picked on the Zipf corpus of
`benchmarks/bench_match.py --lexical`'s 10^6 row (measured there: models/README.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]

_compiled: dict[str, Any] = {}
CHEAP_SHARE = 8
"""A term held by at most 1/CHEAP_SHARE of the documents is always walked (see the docstring)."""
PROBE = 2
"""The bound on the k-th best score comes from the full scores of the PROBE*k best partial ones."""
DOC_COST = 3.0
"""Checking one document on its own entries costs about this many postings walked per entry
(random reads instead of a sequential walk)."""


def _compile() -> Any:
    import numba

    @numba.njit(nogil=True, cache=False)
    def sift_down(heap: Any, pos: int, size: int) -> None:
        while True:
            child = 2 * pos + 1
            if child >= size:
                return
            if child + 1 < size and heap[child + 1] < heap[child]:
                child += 1
            if heap[child] >= heap[pos]:
                return
            heap[pos], heap[child] = heap[child], heap[pos]
            pos = child

    @numba.njit(nogil=True, cache=False)
    def offer(heap: Any, size: int, kk: int, value: float) -> int:
        """Keep the `kk` largest values offered in the min-heap ``heap[:size]``; returns the new
        size. Once full, ``heap[0]`` is the kk-th largest so far."""
        if size < kk:
            heap[size] = value
            size += 1
            if size == kk:
                for start in range(kk // 2 - 1, -1, -1):
                    sift_down(heap, start, kk)
            return size
        if value > heap[0]:
            heap[0] = value
            sift_down(heap, 0, kk)
        return size

    @numba.njit(nogil=True, cache=False)
    def kth_largest(values: Any, count: int, kk: int) -> float:
        """The `kk`-th largest of ``values[:count]`` (count >= kk >= 1), with a min-heap of kk:
        numba's np.partition sorts, ten times slower than this on the sizes seen here."""
        heap = np.empty(kk, dtype=np.float64)
        heap[:] = values[:kk]
        for start in range(kk // 2 - 1, -1, -1):
            sift_down(heap, start, kk)
        for j in range(kk, count):
            if values[j] > heap[0]:
                heap[0] = values[j]
                sift_down(heap, 0, kk)
        return float(heap[0])

    @numba.njit(nogil=True, cache=False)
    def full_score(d: int, doc_indptr: Any, doc_terms: Any, doc_data: Any, weights: Any) -> float:
        score = 0.0
        for e in range(doc_indptr[d], doc_indptr[d + 1]):
            score += weights[doc_terms[e]] * doc_data[e]
        return score

    @numba.njit(nogil=True, cache=False)
    def lower_bound(  # noqa: PLR0917
        n_seen: int, touched: Any, seen: Any, k: int, probe: int,
        doc_indptr: Any, doc_terms: Any, doc_data: Any, weights: Any,
    ) -> float:  # fmt: skip
        """The k-th best full score among the `probe` best partial scores (0 when fewer than k
        documents were seen): a lower bound of the k-th best score of the query."""
        if n_seen < k:
            return 0.0
        cut = kth_largest(seen, n_seen, probe) if n_seen > probe else 0.0
        full = np.empty(n_seen if n_seen < 4 * probe else 4 * probe, dtype=np.float64)
        m = 0
        for j in range(n_seen):
            if seen[j] >= cut and m < len(full):  # ties past 4x probe: a lower bound anyway
                full[m] = full_score(touched[j], doc_indptr, doc_terms, doc_data, weights)
                m += 1
        return kth_largest(full, m, k) if m >= k else 0.0

    @numba.njit(nogil=True, cache=False)
    def kernel(  # noqa: PLR0917 (flat arrays are what numba compiles well)
        col_docs: Any, col_data: Any, indptr: Any, doc_indptr: Any, doc_terms: Any,
        doc_data: Any, terms: Any, factor: Any, rest: Any, weights: Any, k: int,
        margin: float, slot: Any, touched: Any, seen: Any, cheap: int, doc_cost: float,
    ) -> Any:  # fmt: skip
        # slot[d]: 1 + the position of document d in `touched` / `seen` (0: not seen yet);
        # `seen` holds the partial scores in the order the documents were first seen, so the
        # passes over them below read memory in order
        n_seen, walked, theta, i, n = 0, 0, 0.0, 0, len(terms)
        probe = PROBE * k
        while i < n:
            length = indptr[terms[i] + 1] - indptr[terms[i]]
            if length > cheap:  # long postings: walk them only if they may matter or pay
                theta = max(theta, lower_bound(
                    n_seen, touched, seen, k, probe, doc_indptr, doc_terms, doc_data, weights
                ))  # fmt: skip
                if rest[i] < theta * (1.0 - margin):
                    # no unseen document can reach the top k; the seen ones that still may are
                    # checked on their own entries, unless walking this term is cheaper
                    floor = theta * (1.0 - margin) - rest[i]
                    survivors = 0
                    for j in range(n_seen):
                        if seen[j] >= floor:
                            survivors += 1
                    if survivors * doc_cost < length:
                        break
            term, f = terms[i], factor[i]
            for p in range(indptr[term], indptr[term + 1]):
                d = col_docs[p]
                at = slot[d] - 1
                if at < 0:
                    at = n_seen
                    slot[d] = at + 1
                    touched[at] = d
                    seen[at] = 0.0
                    n_seen += 1
                seen[at] += f * col_data[p]
            walked += length
            i += 1
        if i < n:
            theta = max(theta, lower_bound(
                n_seen, touched, seen, k, probe, doc_indptr, doc_terms, doc_data, weights
            ))  # fmt: skip
        floor = theta * (1.0 - margin) - rest[i]
        picks = np.empty(n_seen, dtype=np.int64)  # positions that may still be in the top k
        m = 0
        for j in range(n_seen):
            slot[touched[j]] = 0
            if seen[j] >= floor and seen[j] > 0.0:
                picks[m] = j
                m += 1
        docs = np.empty(m, dtype=np.int64)
        scores = np.empty(m, dtype=np.float64)
        if i < n:
            # unwalked terms: check the documents on their own entries, highest partial score
            # first, until even the best of the rest cannot reach the k-th best full score
            order = np.argsort(-seen[picks[:m]])
            heap = np.empty(k, dtype=np.float64)
            size, checked = 0, 0
            for o in order:
                j = picks[o]
                if size == k and seen[j] + rest[i] < max(theta, heap[0]) * (1.0 - margin):
                    break
                score = full_score(touched[j], doc_indptr, doc_terms, doc_data, weights)
                size = offer(heap, size, k, score)
                docs[checked] = touched[j]
                scores[checked] = score
                checked += 1
            m = checked
        else:
            for o in range(m):
                docs[o] = touched[picks[o]]
                scores[o] = seen[picks[o]]
        if m > k:
            kth = kth_largest(scores, m, k)
            keep = 0
            for j in range(m):
                if scores[j] >= kth * (1.0 - margin):
                    docs[keep] = docs[j]
                    keep += 1
            m = keep
        return docs[:m].copy(), walked

    return kernel


def warm_up() -> None:
    """Compile the kernel now (idempotent; a few seconds the first time in a process)."""
    if "kernel" not in _compiled:
        kernel = _compile()
        empty_i32 = np.zeros(1, dtype=np.int32)
        empty_f32 = np.zeros(1, dtype=np.float32)
        ints = np.zeros(2, dtype=np.int64)
        kernel(
            empty_i32, empty_f32, ints, ints, empty_i32, empty_f32, np.zeros(0, dtype=np.int64),
            np.zeros(0), np.zeros(1), np.zeros(1), 1, 1e-4, np.zeros(1, dtype=np.int32),
            np.zeros(1, dtype=np.int32), np.zeros(1), 0, 1.0,
        )  # fmt: skip
        _compiled["kernel"] = kernel


def candidates(
    index: tuple[Any, ...], *, terms: Ints, factor: npt.NDArray[np.float64],
    rest: npt.NDArray[np.float64], weights: npt.NDArray[np.float64], k: int, margin: float,
    scratch: tuple[Any, Any, Any],
) -> tuple[Ints, int]:  # fmt: skip
    """(candidate documents, postings walked) for the query's distinct `terms` sorted by bound,
    highest first, with their counts `factor`, ``rest[i]`` = sum of the bounds of terms ``i..``
    (one more entry, 0), `weights` = the counts indexed by term id (zero elsewhere). `index` is
    ``(col_docs, col_data, indptr, doc_indptr, doc_terms, doc_data)``; `scratch` is
    ``(slot, touched, seen)``: int32, int32 and float64 arrays of one entry per document, `slot`
    all zero (and left zero). Blocking; releases the GIL."""
    warm_up()
    slot, touched, seen = scratch
    cheap = max(1, len(slot) // CHEAP_SHARE)
    doc_cost = DOC_COST * len(index[4]) / max(1, len(slot))  # per document checked
    docs, walked = _compiled["kernel"](
        *index, terms, factor, rest, weights, k, margin, slot, touched, seen, cheap, doc_cost
    )
    return np.asarray(docs, dtype=np.int64), int(walked)
