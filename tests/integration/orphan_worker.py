"""A real `narrmon worker` with one more agent on the posts topic that, the first time it reads
it, drops the post carrying `ORPHAN` without acking it, then asks its consumer to rejoin the
group: the rebalance waits for a record that no agent will ack, the case the consumer watchdog
releases (`pipeline.stall.watchdog`). When it reads it again it acks it. Run it with
`WorkerProcess(entry=ENTRY)`; every record the agent reads is appended to the file named by
``$ORPHAN_WORKER_LOG`` as ``partition offset marked``."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

ORPHAN = "narrmon-orphan-2c9e"
ENTRY = "from tests.integration.orphan_worker import main; main()"
LOG_ENV = "ORPHAN_WORKER_LOG"
DROPPED = 1
"""Marked records dropped. One, at its partition's committed offset, is the case Faust alone
commits past (``Consumer._new_offset`` tolerates one missing offset there) and
`pipeline.runner.commit_guard` holds."""
REJOIN_AFTER_S = 2.0
"""Long enough for the core agents to process and ack the marked posts first."""


def orphaning_extension(app: Any, deps: Any) -> None:
    log = Path(os.environ[LOG_ENV])
    dropped: set[tuple[int, int]] = set()
    pending: set[asyncio.Task[None]] = set()

    async def rejoin_later() -> None:
        await asyncio.sleep(REJOIN_AFTER_S)
        thread = app.consumer._thread
        coordinator = thread._consumer._coordinator
        thread.thread_loop.call_soon_threadsafe(coordinator.request_rejoin)

    @app.agent(deps.topics.posts, name="test.orphaner", concurrency=1)  # type: ignore[untyped-decorator]
    async def orphaner(stream: Any) -> None:
        async for events in stream.noack_take(1, within=0.2):
            for event in events:
                where = (event.message.partition, event.message.offset)
                marked = ORPHAN.encode() in bytes(event.value or b"")
                with log.open("a", encoding="utf-8") as handle:
                    handle.write(f"{where[0]} {where[1]} {marked}\n")
                if marked and where not in dropped and len(dropped) < DROPPED:
                    # dropped without an ack, as faust's compiled iterator drops a record it skips
                    dropped.add(where)
                    if len(dropped) == DROPPED:
                        task = asyncio.ensure_future(rejoin_later())
                        pending.add(task)
                        task.add_done_callback(pending.discard)
                    continue
                await stream.ack(event)


def main() -> None:
    import logging

    from pipeline.settings import Settings
    from pipeline.worker import EXTENSIONS, run_worker

    logging.basicConfig(level=logging.INFO)
    run_worker(Settings.load(), extensions=[*EXTENSIONS, orphaning_extension])
