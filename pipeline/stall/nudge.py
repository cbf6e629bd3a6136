"""In-process recovery of a stalled aiokafka consumer (the one inside Faust's consumer thread).

Runs ON the consumer thread's event loop (`nudge_consumer` is submitted there with
`asyncio.run_coroutine_threadsafe`, never through Faust's method queue, which a stalled consumer
may have blocked). It reads and pokes aiokafka 0.14 internals, so it is written defensively: a
missing attribute is reported, never raised.

What it does, in order:

1. describes the consumer's background machinery (`describe`): whether the metadata synchroniser,
   the group-coordination routine, the heartbeat and the fetcher tasks are alive (and the error a
   dead one ended with), the coordinator id, whether the coordinator lookup lock is held, and the
   generation: the facts needed to trace a stall from the log;
2. restarts the metadata synchroniser when it has ended (every coordinator lookup waits on it:
   a dead synchroniser makes "find the coordinator" wait forever);
3. marks the group coordinator dead and requests a rejoin: aiokafka looks the coordinator up
   again and the group rebalances; Faust then seeks to the committed offsets and delivers every
   uncommitted record again (at least once; hit ids are deterministic, the index deduplicates);
4. asks for a metadata refresh.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

logger = logging.getLogger(__name__)


def _task_state(task: Any) -> str:
    if task is None:
        return "absent"
    if not task.done():
        return "running"
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    return f"ended ({error!r})" if error is not None else "ended"


def describe(consumer: Any) -> dict[str, str]:
    """The state of an `aiokafka.AIOKafkaConsumer`'s background machinery, as strings."""
    client = getattr(consumer, "_client", None)
    coordinator = getattr(consumer, "_coordinator", None)
    fetcher = getattr(consumer, "_fetcher", None)
    lock = getattr(coordinator, "_coordinator_lookup_lock", None)
    return {
        "metadata_task": _task_state(getattr(client, "_sync_task", None)),
        "coordination_task": _task_state(getattr(coordinator, "_coordination_task", None)),
        "heartbeat_task": _task_state(getattr(coordinator, "_heartbeat_task", None)),
        "fetch_task": _task_state(getattr(fetcher, "_fetch_task", None)),
        "coordinator_id": repr(getattr(coordinator, "coordinator_id", None)),
        "coordinator_lookup_locked": repr(lock.locked() if lock is not None else None),
        "generation": repr(getattr(coordinator, "generation", None)),
    }


async def nudge_consumer(consumer: Any) -> dict[str, str]:
    """Describe, then kick ``consumer`` (see the module docstring); returns the description plus
    ``actions``. Must run on the consumer's own event loop."""
    state = describe(consumer)
    actions: list[str] = []
    client = getattr(consumer, "_client", None)
    coordinator = getattr(consumer, "_coordinator", None)
    sync_task = getattr(client, "_sync_task", None)
    if client is not None and sync_task is not None and sync_task.done():
        client._sync_task = asyncio.ensure_future(client._md_synchronizer())
        actions.append("restarted the metadata synchroniser")
    if coordinator is not None:
        coordinator.coordinator_dead()
        coordinator.request_rejoin()
        actions.append("marked the coordinator dead and requested a rejoin")
    if client is not None:
        # A shielded future: not awaited (the synchroniser answers it in the background).
        client.force_metadata_update()
        actions.append("requested a metadata refresh")
    state["actions"] = "; ".join(actions) or "none (no aiokafka consumer)"
    return state


def describe_partitions(faust_consumer: Any) -> str:
    """One line per assigned partition: Faust's read and committed offsets, whether it may be
    fetched, and aiokafka's fetch position and pause flag (read without locks from the main
    loop: a snapshot, never mutated). For the stall warning and the SIGUSR1 dump."""
    try:
        aio = faust_consumer._thread._consumer
        assignment = aio._subscription.subscription.assignment
        active = {(tp.topic, tp.partition) for tp in (faust_consumer._active_partitions or ())}
        read = {(t.topic, t.partition): o for t, o in faust_consumer._read_offset.items()}
        committed = {(t.topic, t.partition): o for t, o in faust_consumer._committed_offset.items()}
        lines = [
            f"flow_active={faust_consumer.flow_active} "
            f"unacked={len(faust_consumer._unacked_messages)}"
        ]
        for tp in sorted(aio.assignment(), key=lambda t: (t.topic, t.partition)):
            state = assignment.state_value(tp)
            position = state._position if state is not None else "?"
            paused = state.paused if state is not None else "?"
            key = (tp.topic, tp.partition)
            lines.append(
                f"{tp.topic}[{tp.partition}] read={read.get(key)} "
                f"committed={committed.get(key)} position={position} paused={paused} "
                f"fetchable={key in active}"
            )
        return "\n".join(lines)
    except Exception as exc:  # diagnostics must never fail the caller
        return f"partitions not described: {exc!r}"
