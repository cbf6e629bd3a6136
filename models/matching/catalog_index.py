"""The searchable form of a catalog for one embedding model: exemplar, counter-exemplar and
near-miss vectors, claim titles, and the BM25 index (built once, by `NarrativeMatcher.warm_up`).

`build_catalog_index(narratives, embedder, config)` is blocking: it embeds every text it needs
(cached on disk by the embedder, keyed by model and text) and builds the lexical index.
`candidate_evidence(...)` is the re-ranker's raw evidence for a post's candidates (pure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.catalog.schema import Narrative
from models.matching.dense_index import ExemplarIndex, merged_index
from models.matching.embedder import Embedder
from models.matching.explain import narrative_document
from models.matching.lexical import LexicalIndex
from models.matching.rerank import Evidence
from models.matching.types import Candidate, MatcherConfig


@dataclass(frozen=True)
class CatalogIndex:
    """Indices over the active narratives, in catalog order."""

    dense: ExemplarIndex  # exemplars proper
    counter: ExemplarIndex | None  # counter-exemplars (None: the catalog has none)
    # exemplars and counter-exemplars together, per narrative: what dense relevance searches
    # when `MatcherConfig.counter_relevance` is on (a refutation is ABOUT the narrative)
    relevance: ExemplarIndex | None
    near_misses: np.ndarray | None  # one row per near-miss text (None: none)
    titles: np.ndarray | None  # one row per narrative title (only with a re-ranker)
    lexical: LexicalIndex


def build_catalog_index(
    narratives: Sequence[Narrative], embedder: Embedder, config: MatcherConfig
) -> CatalogIndex:
    owners = np.repeat(np.arange(len(narratives)), [len(n.exemplars) for n in narratives])
    vectors = embedder.encode_cached([e for n in narratives for e in n.exemplars])
    dense = ExemplarIndex(vectors.reshape(len(owners), -1), owners)
    counter = relevance = None
    counter_owners = [i for i, n in enumerate(narratives) for _ in n.counter_exemplars]
    if counter_owners:
        texts = [c for n in narratives for c in n.counter_exemplars]
        counter_vectors = embedder.encode_cached(texts)
        counter = ExemplarIndex(counter_vectors, np.asarray(counter_owners))
        if config.counter_relevance:
            relevance = merged_index(dense, counter_vectors, np.asarray(counter_owners))
    near_miss_texts = [t for n in narratives for t in n.near_misses]
    near_misses = embedder.encode_cached(near_miss_texts) if near_miss_texts else None
    titles = None
    if config.reranker is not None:
        titles = embedder.encode_cached([n.title for n in narratives])
    docs = [narrative_document(n, config.keyword_repeats) for n in narratives]
    lexical = LexicalIndex(docs, unknown_terms=config.lexical_unknown_terms)
    return CatalogIndex(dense, counter, relevance, near_misses, titles, lexical)


def candidate_evidence(
    dense: ExemplarIndex,
    titles: np.ndarray,
    claim_days: np.ndarray,
    *,
    vector: np.ndarray,
    date: dt.date | None,
    candidates: Sequence[Candidate],
) -> Evidence:
    """The re-ranker's raw evidence for `candidates` of a post embedded as `vector`: per-field
    cosines (first exemplar, title, mean over exemplars) and days from the claim to the post."""
    ids = np.asarray([c.narrative for c in candidates], dtype=np.int64)
    first, mean = np.empty(len(ids)), np.empty(len(ids))
    starts, ends = dense.starts[ids].tolist(), dense.ends[ids].tolist()
    for j, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        sims = dense.vectors[lo:hi] @ vector  # per slice: a gathered matmul rounds differently
        # the mean as `sims.mean()` computes it (pairwise sum, divided in the same dtype),
        # without its per-call overhead
        first[j], mean[j] = sims[0], np.add.reduce(sims) / sims.dtype.type(hi - lo)
    post_day = date.toordinal() if date is not None else np.nan
    return Evidence(
        dense=np.asarray([c.dense for c in candidates], dtype=np.float64),
        lexical=np.asarray([c.lexical for c in candidates], dtype=np.float64),
        fused=np.asarray([c.fused for c in candidates], dtype=np.float64),
        cos_first=first,
        cos_title=titles[ids] @ vector if len(ids) else np.zeros(0),
        cos_mean=mean,
        days=claim_days[ids] - post_day,
    )
