"""CheckThat! tweets through the live worker against a fact-check catalog, open-set: the worker's
hits are exactly what `narrmon eval openset` decides for the same tweets (calibrated decision,
each tweet dated by its attribution), although the records carry no timestamp, so the connector
stamps them with the time it read them.

The catalog: the gold claims of 60 CheckThat! TRAIN tweets (tuning data), without those of a
seeded half of them (`leave_out_split`, as `eval openset` does), plus 800 other claims.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.mapping import DEFAULT_MAPPING
from connectors.records import post_from_record
from models.evaluation.metrics import read_qrels, read_queries
from models.evaluation.openset import leave_out_split, removed_claims
from models.evaluation.openset_run import outcomes, rank_open_set
from models.records import Post
from pipeline.settings import Settings
from pipeline.signals.targeting import TARGETING_NARRATIVE_ID
from pipeline.worker_process import WorkerProcess, total
from tests.integration.test_pipeline_worker import (
    cleanup,
    expected_hit_ids,
    post_records,
    produce,
    scenario_settings,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATA = Path(__file__).parents[2].parent / "shared" / "datasets" / "checkthat-2022-2a-en"
QUERIES, DISTRACTORS, SEED = 60, 800, 13


def _catalog(tmp: Path) -> tuple[Path, dict[str, str], dict[str, set[str]], set[str]]:
    """The catalog slice with EVERY chosen tweet's gold claims (the worker's gets the left-out
    ones removed), the tweets, their qrels and the left-out tweet ids."""
    assert (DATA / "vclaims.jsonl").exists(), f"CheckThat! 2022 2A data not at {DATA}"
    queries = read_queries(DATA / "train.queries.tsv")
    qrels = dict(sorted(read_qrels(DATA / "train.qrels.tsv").items())[:QUERIES])
    left_out = leave_out_split(list(qrels), 0.5, SEED)
    wanted = set().union(*qrels.values())
    lines = (DATA / "vclaims.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [line for i, line in enumerate(lines)
            if i < DISTRACTORS or json.loads(line)["vclaim_id"] in wanted]  # fmt: skip
    path = tmp / "vclaims-full.jsonl"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path, {q: queries[q] for q in qrels}, qrels, left_out


def _without(path: Path, removed: set[str]) -> Path:
    lines = path.read_text(encoding="utf-8").splitlines()
    out = path.with_name("vclaims.jsonl")
    out.write_text("\n".join(line for line in lines if json.loads(line)["vclaim_id"] not in removed)
                   + "\n", encoding="utf-8")  # fmt: skip
    return out


class Replayed:
    def __init__(self, settings: Settings, posts: list[Post], hits: dict[str, set[str]]) -> None:
        self.settings, self.posts, self.hits = settings, posts, hits


def _indexed(es: Any, settings: Settings) -> dict[str, set[str]]:
    from elasticsearch.helpers import scan

    from pipeline.elastic.schema.names import hits_alias

    alias = hits_alias(settings)
    es.indices.refresh(index=alias)
    out: dict[str, set[str]] = {}
    for doc in scan(es, index=alias, query={"query": {"match_all": {}}}):
        source = doc["_source"]
        if source["narrative"]["id"] != TARGETING_NARRATIVE_ID:  # the screen's, not the catalog's
            out.setdefault(source["post"]["id"], set()).add(source["narrative"]["id"])
    return out


@pytest.fixture(scope="module")
def replayed(
    stack: Settings, es: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Replayed, dict[str, str], dict[str, set[str]], set[str], Path]]:
    tmp = tmp_path_factory.mktemp("checkthat")
    full, tweets, qrels, left_out = _catalog(tmp)
    catalog = _without(full, removed_claims(qrels, left_out))
    settings = scenario_settings(stack, tmp)
    settings = settings.model_copy(
        update={"catalog": settings.catalog.model_copy(update={"path": catalog})}
    )
    now = datetime.now(UTC)
    # records as a file connector reads them: no created_at, so it becomes the read time
    posts = [post_from_record({"id": q, "text": text}, DEFAULT_MAPPING, source="it", now=now,
                              platform="x") for q, text in tweets.items()]  # fmt: skip
    assert all(p.created_at == now for p in posts)
    worker = WorkerProcess(settings, tmp / "worker.log")
    try:
        worker.start()
        worker.wait_ready()
        produce(settings.kafka.bootstrap, settings.topics.posts, post_records(posts))
        wait_for(worker, lambda s: (
            total(s, "narrmon_posts_processed_total") >= len(posts)
            and total(s, "narrmon_hits_indexed_total") >= total(s, "narrmon_hits_total")
        ))  # fmt: skip
        yield Replayed(settings, posts, _indexed(es, settings)), tweets, qrels, left_out, full
    finally:
        worker.stop()
        cleanup(es, settings, settings.kafka.bootstrap)


def test_worker_hits_are_what_eval_openset_decides(
    replayed: tuple[Replayed, dict[str, str], dict[str, set[str]], set[str], Path],
) -> None:
    from pipeline.agents.matcher import load_matcher

    run, tweets, qrels, left_out, full = replayed
    settings = run.settings.model_copy(
        update={"catalog": run.settings.catalog.model_copy(update={"path": full})}
    )
    matcher = load_matcher(settings)  # the worker's loader and settings, the full slice
    matcher.warm_up()
    ranked = rank_open_set(matcher, tweets, qrels, left_out)  # eval openset's own path
    decided = {f"x:{q}": set(o.hits) for q, o in zip(ranked.query_ids, outcomes(ranked),
                                                         strict=True) if o.hits}  # fmt: skip
    assert decided, "the slice must produce hits"
    assert run.hits == decided
    # and the worker's own per-post hit ids (calibrated decision, dates by attribution)
    worker_matcher = load_matcher(run.settings)
    worker_matcher.warm_up()
    indexed = {f"{post}:{narrative}" for post, ids in run.hits.items() for narrative in ids}
    assert indexed == expected_hit_ids(worker_matcher, run.posts)
    # open-set: some tweets whose claim was left out, and some that kept it, were decided
    present = {f"x:{q}" for q in tweets if q not in left_out}
    assert run.hits.keys() & present
