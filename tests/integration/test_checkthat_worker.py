"""CheckThat! tweets through the live worker against a fact-check catalog, open-set: the worker's
hits are exactly what `narrmon eval openset` decides for the same tweets (calibrated decision,
each tweet dated by its attribution), although the records carry no timestamp, so the connector
stamps them with the time it read them.

The catalog: the gold claims of 60 CheckThat! TRAIN tweets (tuning data), without those of a
seeded half of them (`leave_out_split`, as `eval openset` does), plus 800 other claims.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.mapping import DEFAULT_MAPPING
from connectors.records import post_from_record
from models.evaluation.metrics import read_queries
from models.evaluation.openset import leave_out_split, removed_claims
from models.evaluation.openset_run import outcomes, rank_open_set
from models.records import Post
from pipeline.settings import Settings
from pipeline.signals.targeting import TARGETING_NARRATIVE_ID
from pipeline.worker_process import WorkerProcess, total
from tests.checkthat_slice import DATA, first_qrels, write_slice
from tests.integration.test_pipeline_worker import (
    cleanup,
    expected_hit_ids,
    index_ids,
    post_records,
    produce,
    scenario_settings,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUERIES, DISTRACTORS, SEED = 60, 800, 13


@dataclass(frozen=True)
class Replayed:
    settings: Settings
    posts: list[Post]
    tweets: dict[str, str]
    qrels: dict[str, set[str]]
    left_out: set[str]
    full: Path  # the slice with every chosen tweet's claims (the worker's lacks the left-out)
    hits: dict[str, set[str]]  # indexed narratives by post id, the catalog's only


def _by_post(hit_ids: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for hit_id in hit_ids:
        post, narrative = hit_id.rsplit(":", 1)  # `Hit.make_id`; vclaim ids hold no colon
        if narrative != TARGETING_NARRATIVE_ID:  # the screen's, not the catalog's
            out.setdefault(post, set()).add(narrative)
    return out


@pytest.fixture(scope="module")
def replayed(
    stack: Settings, es: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replayed]:
    assert (DATA / "vclaims.jsonl").exists(), f"CheckThat! 2022 2A data not at {DATA}"
    tmp = tmp_path_factory.mktemp("checkthat")
    queries = read_queries(DATA / "train.queries.tsv")
    qrels = first_qrels("train", QUERIES)
    tweets = {q: queries[q] for q in qrels}
    left_out = leave_out_split(list(qrels), 0.5, SEED)
    full = write_slice(tmp / "vclaims-full.jsonl", qrels, DISTRACTORS)
    catalog = write_slice(tmp / "vclaims.jsonl", qrels, DISTRACTORS,
                          removed_claims(qrels, left_out))  # fmt: skip
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
        hits = _by_post(index_ids(es, settings))
        yield Replayed(settings, posts, tweets, qrels, left_out, full, hits)
    finally:
        worker.stop()
        cleanup(es, settings, settings.kafka.bootstrap)


def test_worker_hits_are_what_eval_openset_decides(replayed: Replayed) -> None:
    from pipeline.agents.matcher import load_matcher

    run = replayed
    settings = run.settings.model_copy(
        update={"catalog": run.settings.catalog.model_copy(update={"path": run.full})}
    )
    matcher = load_matcher(settings)  # the worker's loader and settings, the full slice
    matcher.warm_up()
    ranked = rank_open_set(matcher, run.tweets, run.qrels, run.left_out)  # eval openset's path
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
    present = {f"x:{q}" for q in run.tweets if q not in run.left_out}
    assert run.hits.keys() & present
