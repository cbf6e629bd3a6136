"""Dense candidate search: cosine between posts and every exemplar, max-aggregated per narrative.

Contracts:
- `ExemplarIndex(vectors, owners)` takes L2-normalised exemplar rows and, per row, the index of the
  narrative it belongs to; rows of one narrative must be contiguous (the catalog builds them so).
- `search(queries, k)` returns, per query, the `k` best narratives and their dense score (the max
  cosine over that narrative's exemplars), best first.
- Exact numpy search (one matmul + `np.maximum.reduceat`) below `exact_limit` exemplars; above it a
  faiss IVF-Flat index (inner product; ``nlist ~ 2 sqrt(n)``), asking for ``4 * k`` exemplars per
  query and aggregating those. `nprobe` (lists searched) defaults to `auto_nprobe`: ~1/30 of the
  lists, at least 16. Recall@5 against exact search (synthetic clustered vectors,
  `benchmarks/bench_match.py`) follows the share of lists probed: 16 of 632 lists (100k) 0.985,
  16 of 2,000 (1M) 0.925; 1/60 of the lists gave 0.96 and 1/30 0.987 at 250k, so 1/30 it is.
  IVF was chosen over HNSW because it builds a 1M-exemplar index in about a minute on 2 cores
  (HNSW M=32 took 226 s for 250k and reached only 0.97 at efSearch 128 on these vectors). It is
  approximate: a narrative whose best exemplar is not among the returned neighbours gets no dense
  candidate score from `search` (`narrative_scores` is always exact). The crossover default comes
  from `benchmarks/bench_match.py`.
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
    """Exemplar vectors grouped by narrative, searchable exactly or with faiss IVF."""

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
        return "faiss-ivf" if self._faiss_index is not None else "numpy-exact"

    def _build_ivf(self) -> object:
        import faiss

        n, dims = self.vectors.shape
        # faiss wants >= 39 training points per list; train on a seeded sample of <= 64 per list
        nlist = max(1, min(int(2 * np.sqrt(n)), n // 39))
        logger.info("building IVF index over %d exemplars (%d lists)", n, nlist)
        quantizer = faiss.IndexFlatIP(dims)
        index = faiss.IndexIVFFlat(quantizer, dims, nlist, faiss.METRIC_INNER_PRODUCT)
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
        sims, rows = self._faiss_index.search(queries, 4 * k)  # type: ignore[attr-defined]
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        for q in range(len(queries)):
            best: dict[int, float] = {}
            for sim, row in zip(sims[q], rows[q], strict=True):
                if row < 0:
                    continue
                owner = int(self.owners[row])
                if owner not in best:  # faiss returns rows best first
                    best[owner] = float(sim)
            ranked = list(best.items())[:k]
            for j, (owner, sim) in enumerate(ranked):
                ids[q, j], scores[q, j] = owner, sim
        return ids, scores

    def narrative_scores(self, query: Floats, narratives: Ints) -> tuple[Floats, Ints]:
        """Exact dense score of `narratives` for one query, and the row of each best exemplar."""
        out = np.empty(len(narratives), dtype=np.float32)
        best = np.empty(len(narratives), dtype=np.int64)
        for j, n in enumerate(narratives):
            start, end = self.starts[n], self.ends[n]
            sims = self.vectors[start:end] @ query
            arg = int(np.argmax(sims))
            out[j], best[j] = sims[arg], start + arg
        return out, best


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
