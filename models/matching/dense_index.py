"""Dense candidate search: cosine between posts and every exemplar, max-aggregated per narrative.

Contracts:
- `ExemplarIndex(vectors, owners)` takes L2-normalised exemplar rows and, per row, the index of the
  narrative it belongs to; rows of one narrative must be contiguous (the catalog builds them so).
- `search(queries, k)` returns, per query, the `k` best narratives and their dense score (the max
  cosine over that narrative's exemplars), best first.
- Exact numpy search (one matmul + `np.maximum.reduceat`) below `exact_limit` exemplars; above it a
  faiss IVF index with 4-bit product-quantised codes scanned by SIMD ("fast scan", inner product;
  ``nlist ~ 2 sqrt(n)``; one 4-dimension sub-quantiser per 4 dimensions), asking for ``4 * k``
  exemplars per query, re-scoring those exactly against the stored vectors, and aggregating them
  per narrative. Queries are searched as one batch. `nprobe` (lists searched) defaults to
  `auto_nprobe`: ~1/30 of the lists, at least 16. Recall@5 against exact search (synthetic
  clustered vectors, `benchmarks/bench_match.py`) follows the share of lists probed, not the
  codes: IVF-Flat gave 0.985 with 16 of 632 lists (100k), 0.925 with 16 of 2,000 (1M) and 0.987
  with 1/30 at 250k; this IVF-PQ index gives 0.990 at 100k and 0.995 at 1M with `auto_nprobe`.
  The codes take 48 bytes per 384-dim exemplar instead of a second float copy (1.5 GB at 1M),
  and scanning them costs a fraction of IVF-Flat (1M: 0.64 ms/post for 10 neighbours against
  8.4 with IVF-Flat at the same probes). HNSW was not chosen: M=32 took 226 s to build for 250k
  exemplars and reached only 0.97 at efSearch 128 on these vectors. It is approximate: a
  narrative whose best exemplar is not among the returned neighbours gets no dense candidate
  score from `search` (`narrative_scores` is always exact). The crossover default comes from
  `benchmarks/bench_match.py`.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
DEFAULT_EXACT_LIMIT = 50_000


class ExemplarIndex:
    """Exemplar vectors grouped by narrative, searchable exactly or with faiss IVF-PQ."""

    def __init__(
        self,
        vectors: Floats,
        owners: Ints,
        exact_limit: int = DEFAULT_EXACT_LIMIT,
        nprobe: int | None = None,
    ) -> None:
        if len(vectors) != len(owners):
            raise ValueError("one owner per exemplar vector")
        if len(owners) and np.any(np.diff(owners) < 0):
            raise ValueError("exemplars of one narrative must be contiguous and in order")
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.owners = np.asarray(owners, dtype=np.int64)
        self.n_narratives = int(self.owners[-1]) + 1 if len(self.owners) else 0
        # start row of each narrative's exemplars (every narrative has >= 1 exemplar)
        self.starts = np.searchsorted(self.owners, np.arange(self.n_narratives)).astype(np.int64)
        self.ends = np.append(self.starts[1:], len(self.owners)).astype(np.int64)
        self._faiss_index: object | None = None
        self._faiss_quantizer: object | None = None
        self.nprobe = nprobe
        if len(self.vectors) > exact_limit:
            self._faiss_index = self._build_ivf()

    @property
    def backend(self) -> str:
        return "faiss-ivfpq" if self._faiss_index is not None else "numpy-exact"

    def _build_ivf(self) -> object:
        import faiss

        n, dims = self.vectors.shape
        # faiss wants >= 39 training points per list; train on a seeded sample of <= 64 per list
        nlist = max(1, min(int(2 * np.sqrt(n)), n // 39))
        subquantizers = dims // 4 if dims % 4 == 0 else dims // 2 if dims % 2 == 0 else dims
        logger.info(
            "building IVF-PQ index over %d exemplars (%d lists, %d x 4-bit codes)",
            n, nlist, subquantizers,
        )  # fmt: skip
        quantizer = faiss.IndexFlatIP(dims)
        index = faiss.IndexIVFPQFastScan(
            quantizer, dims, nlist, subquantizers, 4, faiss.METRIC_INNER_PRODUCT
        )
        sample = np.random.default_rng(0).choice(n, size=min(n, 64 * nlist), replace=False)
        index.train(self.vectors[np.sort(sample)])
        index.add(self.vectors)
        index.nprobe = min(self.nprobe or auto_nprobe(nlist), nlist)
        self._faiss_quantizer = quantizer  # the index does not own it: keep it alive
        return index

    def all_scores(self, queries: Floats) -> Floats:
        """Exact dense score of every narrative for every query, shape (queries, narratives)."""
        sims = queries @ self.vectors.T
        return np.maximum.reduceat(sims, self.starts, axis=1) if len(self.starts) else sims

    def search(self, queries: Floats, k: int) -> tuple[Ints, Floats]:
        """Top-`k` narratives per query: (ids, scores), each shaped (queries, k), best first;
        padded with -1 / -inf when fewer narratives are found."""
        k = max(1, min(k, self.n_narratives)) if self.n_narratives else 1
        if self._faiss_index is None:
            return _top_k(self.all_scores(queries), k)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        _, rows = self._faiss_index.search(queries, 4 * k)  # type: ignore[attr-defined]
        found = rows >= 0
        rows = np.where(found, rows, 0)
        sims = np.matmul(self.vectors[rows], queries[:, :, None])[:, :, 0]  # exact re-scoring
        sims[~found] = -np.inf
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        for q in range(len(queries)):
            order = np.argsort(-sims[q], kind="stable")
            order = order[found[q][order]]
            owners = self.owners[rows[q][order]]
            _, first = np.unique(owners, return_index=True)  # each narrative's best exemplar
            first = np.sort(first)[:k]
            ids[q, : len(first)] = owners[first]
            scores[q, : len(first)] = sims[q][order[first]]
        return ids, scores

    def narrative_scores(self, query: Floats, narratives: Ints) -> tuple[Floats, Ints]:
        """Exact dense score of `narratives` for one query, and the row of each best exemplar
        (the first one on ties)."""
        narratives = np.asarray(narratives, dtype=np.int64)
        if not len(narratives):
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        starts, lengths = self.starts[narratives], self.ends[narratives] - self.starts[narratives]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        rows = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
        every = len(narratives) == self.n_narratives and bool(
            (narratives == np.arange(self.n_narratives)).all()
        )
        # every narrative in order (a small catalog): the rows are all rows, so skip the copy
        sims = (self.vectors if every else self.vectors[rows]) @ query
        segment = np.repeat(np.arange(len(narratives)), lengths)
        best = np.lexsort((-sims, segment))[offsets]  # each segment's max, first on ties
        return sims[best].astype(np.float32), rows[best]


def merged_index(index: ExemplarIndex, vectors: Floats, owners: Ints) -> ExemplarIndex:
    """`index` plus more rows (`vectors`, each owned by narrative `owners[i]`), each narrative's
    rows kept contiguous (its original rows first)."""
    all_owners = np.concatenate([index.owners, np.asarray(owners, dtype=np.int64)])
    order = np.argsort(all_owners, kind="stable")
    merged = np.vstack([index.vectors, np.asarray(vectors, dtype=np.float32)])[order]
    return ExemplarIndex(merged, all_owners[order], nprobe=index.nprobe)


def auto_nprobe(nlist: int) -> int:
    """IVF lists to search: ~1/30 of them, at least 16 (see module docstring)."""
    return max(16, -(-nlist // 30))


def _top_k(scores: Floats, k: int) -> tuple[Ints, Floats]:
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return (
        np.take_along_axis(part, order, axis=1).astype(np.int64),
        np.take_along_axis(part_scores, order, axis=1).astype(np.float32),
    )
