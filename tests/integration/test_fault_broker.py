"""The broker killed and restarted during an ingest, and a bounded SIGTERM, on a PRIVATE Kafka
broker (the shared one is never touched; Elasticsearch is the shared one, with a test index).

1. The connector's publisher streams posts while the broker is SIGKILLed and restarted: every
   post is either acknowledged or named in the publisher's failed keys (nothing unaccounted
   for), and the same worker process, never restarted, processes every acknowledged post and
   indexes its hits exactly once. The consumer watchdog runs with a 20 s window: a consumer that
   stalls after the restart is kicked in process (the kicks are reported with the figures); one
   that a kick cannot revive makes the worker exit, and the test fails. A rebalance left waiting
   for records no agent will ack (seen in local rehearsals: the group rejoins after the restart)
   is released by the same watchdog; every post must still be processed and its hits indexed.
2. With the broker killed again, SIGTERM ends the worker within its shutdown grace
   (``worker.shutdown_grace_s``) plus a small margin."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.publisher import Publisher
from models.records import Post
from pipeline.settings import Settings
from pipeline.worker_process import WorkerProcess, total
from tests.integration.faults import record_figure
from tests.integration.private_stack import private_stack
from tests.integration.test_pipeline_worker import (
    TEXTS,
    cleanup,
    expected_hit_ids,
    index_ids,
    matcher,  # noqa: F401 - the module-scoped fixture
    scenario_settings,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

POSTS = 60
INTERVAL_S = 0.2
DOWN_S = 8.0
GRACE_S = 5.0
MARGIN_S = 5.0
STALL_S = 20.0


def _post(prefix: str, i: int) -> Post:
    return Post(
        id=f"bk:{prefix}-{i}",
        platform="x",
        source="broker-fault",
        text=f"{TEXTS[i % len(TEXTS)]} #{i}",
        created_at=datetime.now(UTC),
    )


def test_broker_restart_during_ingest_then_bounded_sigterm(
    stack: Settings,
    es: Any,
    matcher: Any,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    with private_stack(stack, "kafka") as private:
        base = private.settings.model_copy(update={"elasticsearch": stack.elasticsearch})
        settings = scenario_settings(base, tmp_path)
        settings = settings.model_copy(
            update={
                "worker": settings.worker.model_copy(
                    update={
                        "shutdown_grace_s": GRACE_S,
                        "index_backoff_cap_s": 2.0,
                        # a stalled consumer is kicked in process well within the wait below
                        "stall_s": STALL_S,
                        "stall_check_s": 2.0,
                    }
                )
            }
        )
        worker = WorkerProcess(settings, tmp_path / "worker.log")
        try:
            worker.start()
            worker.wait_ready()
            assert worker.proc is not None
            pid = worker.proc.pid
            posts = [_post(settings.worker.app_id, i) for i in range(POSTS)]
            publisher = Publisher(
                settings.kafka.bootstrap,
                topic=settings.topics.posts,
                dead_letter_topic=settings.topics.dead_letter,
                source="broker-fault",
            )
            queued: list[str] = []

            def ingest() -> None:
                for post in posts:
                    publisher.publish_post(post)
                    queued.append(post.id)
                    time.sleep(INTERVAL_S)

            ingesting = threading.Thread(target=ingest, daemon=True)
            ingesting.start()
            time.sleep(POSTS * INTERVAL_S / 4)
            private.kill("kafka")
            time.sleep(DOWN_S)
            private.start("kafka")
            ingesting.join(120)
            publisher.flush(90)
            publisher.close()
            stats = publisher.stats
            failed = set(stats.failed_keys)
            assert len(queued) == POSTS
            assert stats.posts_acked + stats.posts_failed == POSTS, "every post accounted for"
            assert len(failed) == stats.posts_failed
            delivered = [p for p in posts if p.id not in failed]

            expected = expected_hit_ids(matcher, delivered)
            done = wait_for(
                worker,
                lambda s: (
                    total(s, "narrmon_posts_processed_total") >= len(delivered)
                    and len(set(index_ids(es, settings))) >= len(expected)
                ),
                timeout_s=180,
            )
            assert sorted(index_ids(es, settings)) == sorted(expected)
            assert worker.proc.poll() is None and worker.proc.pid == pid, "never restarted"
            assert any(name == "narrmon_consumer_stalls_total" for name, _ in done), "watchdog on"
            kicks = total(done, "narrmon_consumer_stalls_total", action="nudged")
            released = total(done, "narrmon_consumer_stalls_total", action="released")

            private.kill("kafka")
            time.sleep(1.0)
            asked = time.monotonic()
            code = worker.stop(grace_s=GRACE_S + MARGIN_S + 30)
            took = time.monotonic() - asked
            assert took <= GRACE_S + MARGIN_S, f"SIGTERM took {took:.1f}s"
            assert code is not None
            record_figure(
                "sigterm_with_broker_gone_s",
                value=round(took, 1),
                grace_s=GRACE_S,
                exit_code=code,
                posts_acked=stats.posts_acked,
                posts_failed=stats.posts_failed,
                consumer_kicks=kicks,
                orphans_released=released,
            )
        finally:
            worker.stop()
            cleanup(es, settings.model_copy(update={"kafka": stack.kafka}), stack.kafka.bootstrap)
