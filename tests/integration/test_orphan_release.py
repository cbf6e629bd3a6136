"""A rebalance that waits for a record no agent will ack, on a real worker and broker.

After a broker restart the worker's group rejoined and Faust's revocation waited, for good, for
records one of their two agents had dropped without acking (`pipeline.stall.watchdog`). Here a
third agent on the posts topic (`tests.integration.orphan_worker`) drops one post the same way
(at its partition's committed offset, where Faust alone would commit past it) and asks for a
rejoin. The watchdog must release it within ``worker.stall_s`` without counting it as processed,
and the commit guard must not have committed past it: the rebalance ends, the same process goes
on reading, the dropped post is read again (so the agent that dropped it gets it), and every hit
is indexed exactly once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.settings import Settings
from pipeline.worker_process import WorkerProcess, total
from tests.integration.orphan_worker import ENTRY, LOG_ENV, ORPHAN
from tests.integration.test_pipeline_worker import (
    cleanup,
    expected_hit_ids,
    index_ids,
    make_posts,
    matcher,  # noqa: F401 - the module-scoped fixture
    post_records,
    produce,
    scenario_settings,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STALL_S = 6.0


def test_a_rebalance_waiting_for_a_dropped_record_is_released_and_reads_it_again(
    stack: Settings,
    es: Any,
    matcher: Any,  # noqa: F811 - the imported fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = scenario_settings(stack, tmp_path)
    settings = settings.model_copy(
        update={
            "worker": settings.worker.model_copy(update={"stall_s": STALL_S, "stall_check_s": 1.0})
        }
    )
    seen_log = tmp_path / "orphaner.log"
    monkeypatch.setenv(LOG_ENV, str(seen_log))
    # one key, one partition: two posts it commits, the dropped one, three more after it
    same = make_posts(6, "o")
    same[2] = same[2].model_copy(update={"text": f"{same[2].text} {ORPHAN}"})
    keyed = [(b"orphan-key", value) for _key, value in post_records(same)]
    others = make_posts(10, "p")
    worker = WorkerProcess(settings, tmp_path / "worker.log", entry=ENTRY)
    try:
        worker.start()
        worker.wait_ready()
        assert worker.proc is not None
        pid = worker.proc.pid
        bootstrap, posts_topic = settings.kafka.bootstrap, settings.topics.posts
        produce(bootstrap, posts_topic, keyed[:2])
        # committed before the dropped one arrives, so that it sits at the partition's committed
        # offset: the one gap Faust commits past unless `pipeline.runner.commit_guard` holds it
        wait_for(worker, lambda s: total(s, "narrmon_posts_processed_total") >= 2, timeout_s=60)
        time.sleep(2 * settings.worker.commit_interval_s + 1)
        produce(bootstrap, posts_topic, keyed[2:])
        released = wait_for(
            worker,
            lambda s: total(s, "narrmon_consumer_stalls_total", action="released") >= 1,
            timeout_s=90,
        )
        # the worker reads on after the release: posts produced now are processed too
        produce(bootstrap, posts_topic, post_records(others))
        expected = expected_hit_ids(matcher, same + others)
        done = wait_for(
            worker,
            lambda s: (
                total(s, "narrmon_posts_processed_total") >= len(same) + len(others)
                and len(set(index_ids(es, settings))) >= len(expected)
            ),
            timeout_s=120,
        )
        assert worker.proc.poll() is None and worker.proc.pid == pid, "never restarted"
        assert total(released, "narrmon_consumer_stalls_total", action="nudged") == 0
        assert total(done, "narrmon_consumer_stalls_total", action="released") == 1
        ids = index_ids(es, settings)
        assert sorted(set(ids)) == sorted(expected) and len(ids) == len(expected)

        seen = [tuple(line.split()) for line in seen_log.read_text(encoding="utf-8").splitlines()]
        marked = [(partition, offset) for partition, offset, flag in seen if flag == "True"]
        # read again after the release: the agent that dropped it gets it a second time
        assert len(marked) == 2 and marked[0] == marked[1], marked
        assert "released without acking them" in worker.log_path.read_text(encoding="utf-8")
    finally:
        worker.stop()
        cleanup(es, settings, settings.kafka.bootstrap)
