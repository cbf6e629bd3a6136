"""Guard Faust's "seek stream partitions to committed offsets" against its own fetcher.

The bug (faust-streaming 0.15.3 as installed, read from its source and seen in worker logs): when a
worker finishes table recovery (`faust.tables.recovery.Recovery._on_recovery_completed` and
``_resume_streams``) it first RESUMES the stream partitions (posts, hits) and only then awaits
``consumer.perform_seek()``, with the consumer's flow already active (it was resumed to read the
changelogs). ``perform_seek`` takes several broker round trips in the consumer thread; meanwhile the
fetcher (`Consumer._drain_messages`) delivers records that aiokafka prefetched during recovery, and
records fetched before the seek can still come back after it. ``perform_seek`` then overwrites the
consumer's read offsets (``_read_offset``) with the committed offsets while those deliveries go on,
so the fetcher's bookkeeping no longer matches what it delivered: a record can be dropped
("DROPPED MESSAGE ROFF", logged only at Faust's dev level) or skipped, and the commit logic then
moves past it (`Consumer._new_offset` tolerates one missing offset at the head of the acked list;
`Consumer._add_gap` marks the skipped range committable). The record is never processed, yet its
offset is committed: an at-least-once violation with no error. Seen after a SIGKILL restart
(committed offsets exist and the spike tables' changelogs make recovery long enough for aiokafka
to prefetch): post ``posts[0]@14`` never reached the matching agent while the group committed
``posts[0]`` to its end, so one expected hit was missing and the integration test waited forever;
when more than one offset is missing the commit instead stops behind the hole (lag frozen, the
"stall" first reported).

The guard (`guard_recovery_seek`) wraps the consumer's ``perform_seek``: it stops the consumer flow
(the fetcher abandons the batch it is delivering and parks before its next fetch), waits
``settle_s`` so that a fetch already in flight returns while the flow is stopped (Faust then
discards it and seeks on its own, see `Consumer.getmany`), THEN seeks, and resumes the flow only
if it was running before. After the seek nothing stale is in flight, so the fetcher restarts
exactly at the committed offsets and delivers every record from there; records already delivered
before the seek are delivered again (duplicates are allowed: hit ids are deterministic and the
index deduplicates). The cost is ``settle_s`` per rebalance.

A partition of a stream topic with no committed offset yet (or 0) is not rewound by that seek:
aiokafka's ``seek_to_committed`` seeks only to offsets above 0, so records fetched and then
dropped around the rebalance are never fetched again (seen in local rehearsals of
`tests/integration/test_orphan_release.py`: posts produced during a rebalance onto partitions
that had never received any stayed unread, the lag frozen and the read offset past them).
`rewind_uncommitted` rewinds such partitions to their beginning, which is where the worker's
``earliest`` reset policy starts them anyway. Until the fetcher has looked that offset up, such a
partition has no position, which Faust's livelock check cannot read without crashing the worker
(`pipeline.runner.event_path_guard` skips it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 1.0
"""How long one Faust fetch (``Consumer.getmany``) may wait for records (hard-coded in Faust)."""

SETTLE_S = 2.0 * FETCH_TIMEOUT_S
"""Default wait between stopping the flow and seeking: covers a fetch already in flight."""


def guard_recovery_seek(consumer: Any, settle_s: float = SETTLE_S) -> None:
    """Replace ``consumer.perform_seek`` (a Faust `Consumer`) with a flow-stopped version, and
    its ``seek_to_committed`` with one that also rewinds uncommitted stream partitions when the
    app resets to the earliest offset; see the module docstring. Idempotent. Call before the
    worker starts (the consumer object exists as soon as ``app.consumer`` is read; no broker
    connection is needed)."""
    if getattr(consumer, "_narrmon_seek_guarded", False):
        return
    original: Callable[[], Awaitable[None]] = consumer.perform_seek

    async def perform_seek() -> None:
        await seek_with_flow_stopped(consumer, original, settle_s)

    consumer.perform_seek = perform_seek
    if consumer.app.conf.consumer_auto_offset_reset == "earliest":
        seek_to_committed: Callable[[], Awaitable[Mapping[Any, int | None]]]
        seek_to_committed = consumer.seek_to_committed

        async def seek_then_rewind() -> Mapping[Any, int | None]:
            committed = await seek_to_committed()
            await rewind_uncommitted(consumer, committed)
            return committed

        consumer.seek_to_committed = seek_then_rewind
    consumer._narrmon_seek_guarded = True


async def rewind_uncommitted(consumer: Any, committed: Mapping[Any, int | None]) -> None:
    """Seek the partitions of ``committed`` (aiokafka partitions -> committed offset) whose topic
    Faust acks (the stream topics, not changelogs) and whose offset is None or 0 to their
    beginning, on the consumer thread."""
    acking = consumer.app.topics.acking_topics
    fresh = [tp for tp, offset in committed.items() if not offset and tp.topic in acking]
    if fresh:
        logger.info(
            "rewinding %d uncommitted partition(s) to their beginning: %s",
            len(fresh),
            ", ".join(f"{tp.topic}[{tp.partition}]" for tp in fresh),
        )
        await consumer._thread.seek_to_beginning(*fresh)


async def seek_with_flow_stopped(
    consumer: Any, seek: Callable[[], Awaitable[None]], settle_s: float
) -> None:
    """Stop ``consumer``'s flow, let in-flight fetches settle, run ``seek``, restore the flow.

    When the flow was already stopped (Faust's own re-seek from ``getmany`` while stopped, or a
    rebalance), it only seeks: whoever stopped the flow resumes it. Raises what ``seek`` raises
    (the flow is restored first)."""
    was_active = bool(consumer.flow_active)
    if was_active:
        consumer.stop_flow()
        logger.info("flow stopped for %.1fs before seeking to committed offsets", settle_s)
        await asyncio.sleep(settle_s)
    try:
        await seek()
    finally:
        if was_active:
            consumer.resume_flow()
