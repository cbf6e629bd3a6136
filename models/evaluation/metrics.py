"""Retrieval quality on CheckThat!-style data: readers and ranking metrics. Pure except readers.

Formats (CLEF CheckThat! 2022 task 2A):
- queries TSV: ``query_id<TAB>text`` (a header line ``iclaim_id ...`` is skipped);
- qrels TSV (TREC): ``query_id 0 vclaim_id 1`` (tabs or spaces; relevance > 0 counts).

Metrics follow the official scorer: AP@k sums precision at each relevant rank within the top k
and divides by the number of relevant items; MAP@k averages it over queries that have qrels.
MRR uses the first relevant rank in the whole ranking given; P@1 is 1 if the top item is
relevant; Recall@k is the share of a query's relevant items in its top k. A query with qrels but
no ranking scores 0 on everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

METRIC_KEYS = ("map@1", "map@3", "map@5", "mrr", "p@1", "recall@5", "recall@10")


def read_queries(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or "\t" not in line:
            continue
        qid, text = line.split("\t", 1)
        if qid in ("iclaim_id", "tweet_id", "id"):
            continue
        out[qid.strip()] = text.strip()
    return out


def read_qrels(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[3].lstrip("-").isdigit():
            continue
        qid, _, doc, rel = parts
        if int(rel) > 0:
            out.setdefault(qid, set()).add(doc)
    return out


def average_precision(relevant: set[str], ranking: Sequence[str], k: int) -> float:
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for i, doc in enumerate(ranking[:k], start=1):
        if doc in relevant:
            hits += 1
            total += hits / i
    return total / len(relevant)


def reciprocal_rank(relevant: set[str], ranking: Sequence[str]) -> float:
    for i, doc in enumerate(ranking, start=1):
        if doc in relevant:
            return 1.0 / i
    return 0.0


def recall_at(relevant: set[str], ranking: Sequence[str], k: int) -> float:
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def evaluate_rankings(
    qrels: Mapping[str, set[str]], rankings: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    """Mean of each metric in `METRIC_KEYS` over the queries in `qrels`."""
    if not qrels:
        raise ValueError("no qrels to evaluate against")
    sums = dict.fromkeys(METRIC_KEYS, 0.0)
    for qid, relevant in qrels.items():
        ranking = list(rankings.get(qid, ()))
        sums["map@1"] += average_precision(relevant, ranking, 1)
        sums["map@3"] += average_precision(relevant, ranking, 3)
        sums["map@5"] += average_precision(relevant, ranking, 5)
        sums["mrr"] += reciprocal_rank(relevant, ranking)
        sums["p@1"] += 1.0 if ranking and ranking[0] in relevant else 0.0
        sums["recall@5"] += recall_at(relevant, ranking, 5)
        sums["recall@10"] += recall_at(relevant, ranking, 10)
    return {key: value / len(qrels) for key, value in sums.items()}
