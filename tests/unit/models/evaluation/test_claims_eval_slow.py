"""The real eval (packaged model, shipped re-ranker) on a CheckThat! 2022 2A dev slice.

The slice: the first 60 dev queries against their relevant claims plus the first 1,500 verified
claims as distractors, so it runs in seconds once the exemplars are in the embedding cache (the
same cache `narrmon eval claims` fills; cold, ~4.5k texts take a minute or two on 2 cores).
It asserts a floor and that re-ranking does not lose to linear fusion, not the headline figure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.evaluation.claims_eval import run_claims_eval
from models.evaluation.metrics import read_queries
from models.matching.matcher import load_matcher
from models.matching.rerank import SHIPPED_CHECKTHAT, Reranker
from tests.checkthat_slice import DATA, first_qrels, write_slice

pytestmark = pytest.mark.slow

QUERIES, DISTRACTORS = 60, 1500


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("NARRMON_CACHE_DIR") or Path(base) / "narrmon")


def test_rerank_on_a_dev_slice_beats_a_floor_and_linear(tmp_path: Path) -> None:
    if not (DATA / "vclaims.jsonl").exists():
        pytest.skip(f"CheckThat! 2022 2A data not at {DATA} (see models/README.md)")
    queries = read_queries(DATA / "dev.queries.tsv")
    qrels = first_qrels("dev", QUERIES)
    catalog = write_slice(tmp_path / "slice.jsonl", qrels, DISTRACTORS)

    live = load_matcher(catalog, cache_dir=_cache_dir())  # the live config re-ranks
    reranked = live.with_reranker(Reranker.load(SHIPPED_CHECKTHAT))
    linear = live.with_reranker(None)
    base = run_claims_eval(linear, queries, qrels, "linear")
    report = run_claims_eval(reranked, queries, qrels, "rerank")

    assert report.queries == QUERIES
    assert report.metrics["map@5"] >= 0.85
    assert report.metrics["map@5"] >= base.metrics["map@5"] - 0.01
    assert report.ms_per_query < 200
