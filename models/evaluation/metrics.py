"""Retrieval quality on CheckThat!-style data: readers and ranking metrics. Pure except readers.

Formats (CLEF CheckThat! 2022 task 2A):
- queries TSV: ``query_id<TAB>text`` (a header line ``iclaim_id ...`` is skipped);
- qrels TSV (TREC): ``query_id 0 vclaim_id 1`` (tabs or spaces; relevance > 0 counts).
A malformed line fails the read with its ``file:line`` (`read_queries`, `read_qrels`).

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


_QUERY_HEADERS = ("iclaim_id", "tweet_id", "id")


def read_queries(path: Path) -> dict[str, str]:
    """``query_id<TAB>text`` per line; blank lines and a header line are skipped. Raises
    ValueError naming ``file:line`` for a line without a tab, an empty id or text, or an id
    given twice (a wrong file must not score as an empty or partial one)."""
    out: dict[str, str] = {}
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        if "\t" not in line:
            raise ValueError(f"{where}: expected 'query_id<TAB>text', found no tab")
        qid, text = (part.strip() for part in line.split("\t", 1))
        if qid in _QUERY_HEADERS:
            continue
        if not qid or not text:
            raise ValueError(f"{where}: empty {'query id' if not qid else 'text'}")
        if qid in out:
            raise ValueError(f"{where}: query id {qid!r} given twice")
        out[qid] = text
    return out


def read_qrels(path: Path) -> dict[str, set[str]]:
    """``query_id 0 claim_id relevance`` per line (tabs or spaces; relevance > 0 counts); blank
    lines are skipped. Raises ValueError naming ``file:line`` for another number of fields or
    a relevance that is not an integer."""
    out: dict[str, set[str]] = {}
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        where = f"{path}:{lineno}"
        if len(parts) != 4:
            raise ValueError(f"{where}: expected 'query_id 0 claim_id relevance' (4 fields), "
                             f"found {len(parts)}")  # fmt: skip
        qid, _, doc, rel = parts
        if not rel.lstrip("-").isdigit():
            raise ValueError(f"{where}: relevance {rel!r} is not an integer")
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


def qrels_mismatch(
    queries: Mapping[str, str], qrels: Mapping[str, set[str]], claim_ids: set[str]
) -> str | None:
    """Why these queries and qrels cannot be scored against a catalog with `claim_ids` (None
    when they can): no query has qrels, or qrels of the queries name claims the catalog lacks
    (a wrong catalog or qrels file would otherwise score as misses or false alarms)."""
    scored = [q for q in qrels if q in queries]
    if not scored:
        return "no query of the queries file has a qrels line (are they from the same split?)"
    missing = sorted({doc for q in scored for doc in qrels[q]} - claim_ids)
    if missing:
        shown = ", ".join(missing[:3])
        return (f"the qrels name {len(missing)} claim id(s) that are not active narratives of "
                f"the catalog (e.g. {shown}): is it the catalog they were made for?")  # fmt: skip
    return None
