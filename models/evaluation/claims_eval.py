"""Run a matcher over CheckThat!-style queries and score its rankings (`models.evaluation.metrics`).

Blocking and CPU-bound: embeds every query once. Fusion modes, all over the matcher's candidate
set (dense top-N united with lexical top-N):
- ``linear``: the matcher's own fused score (what production uses);
- ``dense`` / ``lexical``: one signal alone;
- ``rrf``: reciprocal rank fusion of the dense and lexical orders (rank-only baseline);
- ``rerank``: the logistic re-ranker's probability (`models.matching.rerank`) over the top linear
  candidates; the matcher must carry a re-ranker (`NarrativeMatcher.with_reranker`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from models.evaluation.metrics import evaluate_rankings
from models.matching.fusion import reciprocal_rank_fusion
from models.matching.matcher import Candidate, NarrativeMatcher

Fusion = Literal["linear", "dense", "lexical", "rrf", "rerank"]
FUSIONS: tuple[Fusion, ...] = ("linear", "dense", "lexical", "rrf", "rerank")


@dataclass(frozen=True)
class ClaimsReport:
    metrics: dict[str, float]
    queries: int
    ms_per_query: float
    fusion: Fusion

    def as_json(self) -> dict[str, float | int | str]:
        return {**self.metrics, "queries": self.queries, "ms/query": self.ms_per_query,
                "fusion": self.fusion}  # fmt: skip


def order(candidates: list[Candidate], fusion: Fusion) -> list[int]:
    """Narrative indexes of `candidates` in the order `fusion` ranks them."""
    if fusion in ("linear", "rerank"):
        return [c.narrative for c in sorted(candidates, key=lambda c: -c.fused)]
    if fusion == "dense":
        return [c.narrative for c in sorted(candidates, key=lambda c: -c.dense)]
    if fusion == "lexical":
        return [c.narrative for c in sorted(candidates, key=lambda c: (-c.lexical, -c.dense))]
    dense = [str(c.narrative) for c in sorted(candidates, key=lambda c: -c.dense)]
    lexical = [str(c.narrative) for c in sorted(candidates, key=lambda c: -c.lexical)]
    return [int(n) for n, _ in reciprocal_rank_fusion([dense, lexical])]


def run_claims_eval(
    matcher: NarrativeMatcher,
    queries: Mapping[str, str],
    qrels: Mapping[str, set[str]],
    fusion: Fusion = "linear",
    depth: int = 10,
) -> ClaimsReport:
    """Rank the catalog for every query that has qrels and compute the metrics."""
    if (fusion == "rerank") != (matcher.config.reranker is not None):
        raise ValueError("fusion 'rerank' needs a matcher with a re-ranker, and only it")
    matcher.warm_up()
    ids = [q for q in qrels if q in queries]
    started = time.perf_counter()
    ranked = matcher.rank([queries[q] for q in ids])
    elapsed = time.perf_counter() - started
    refs = matcher.narratives()
    rankings = {
        qid: [refs[n].id for n in order(cands, fusion)[:depth]]
        for qid, cands in zip(ids, ranked, strict=True)
    }
    return ClaimsReport(
        metrics=evaluate_rankings(qrels, rankings),
        queries=len(ids),
        ms_per_query=1000.0 * elapsed / max(len(ids), 1),
        fusion=fusion,
    )
