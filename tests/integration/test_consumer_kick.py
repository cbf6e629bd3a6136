"""The watchdog's in-process kick, on a real aiokafka consumer against the real broker.

The wedge it is built for: aiokafka's metadata synchroniser task has ended (an exception in it is
never logged: the client keeps the task, so asyncio never reports it), the group coordinator is
marked dead, and the first coordinator lookup fails with a retriable error. The lookup then waits
for a metadata refresh that nothing will ever answer, holding the coordinator lookup lock: the
coordinator is never found again and every commit waits forever (Faust's fetch loop awaits its
commits, so reading stops too). `nudge_consumer` restarts the synchroniser: the lookup resumes,
the coordinator is found and commits go through again, in the same process."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CommitFailedError, CoordinatorNotAvailableError
from kafka.admin import KafkaAdminClient, NewTopic

from pipeline.settings import Settings
from pipeline.stall.nudge import describe, nudge_consumer
from tests.integration.test_pipeline_worker import produce

pytestmark = [pytest.mark.integration]


async def _wedge_then_kick(bootstrap: str, topic: str) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"kick-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # longer than the wedge below, so the member is still known when the commit goes through
        session_timeout_ms=30000,
        heartbeat_interval_ms=3000,
        retry_backoff_ms=100,
    )
    await consumer.start()
    try:
        read = 0
        async with asyncio.timeout(30):
            while read < 5:
                batches = await consumer.getmany(timeout_ms=1000)
                read += sum(len(records) for records in batches.values())
        await consumer.commit()

        client: Any = consumer._client
        coordinator: Any = consumer._coordinator
        client._sync_task.cancel()  # the synchroniser ends
        with contextlib.suppress(asyncio.CancelledError):
            await client._sync_task
        lookup = client.coordinator_lookup
        failures = [CoordinatorNotAvailableError()]

        async def flaky_lookup(*args: Any) -> Any:
            if failures:
                raise failures.pop()
            return await lookup(*args)

        client.coordinator_lookup = flaky_lookup
        coordinator.coordinator_dead()  # e.g. a heartbeat to the restarting broker failed

        with pytest.raises(TimeoutError):  # wedged: the coordinator is never found again
            await asyncio.wait_for(consumer.commit(), 8)
        assert coordinator.coordinator_id is None
        assert describe(consumer)["coordinator_lookup_locked"] == "True"

        state = await nudge_consumer(consumer)
        assert state["metadata_task"] == "cancelled"
        assert "restarted the metadata synchroniser" in state["actions"]
        # recovered in process: the coordinator is found and the rejoin the kick asked for
        # completes (a commit of the old generation is refused meanwhile, which Faust ignores)
        async with asyncio.timeout(30):
            while True:
                await consumer.getmany(timeout_ms=500)
                try:
                    await consumer.commit()
                    break
                except CommitFailedError:
                    continue
        assert coordinator.coordinator_id is not None
        assert describe(consumer)["metadata_task"] == "running"
    finally:
        await consumer.stop()


def test_the_kick_recovers_a_consumer_whose_metadata_task_ended(stack: Settings) -> None:
    bootstrap = stack.kafka.bootstrap
    topic = f"kick-{uuid.uuid4().hex[:10]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        produce(bootstrap, topic, [(None, f"r{i}".encode()) for i in range(5)])
        asyncio.run(_wedge_then_kick(bootstrap, topic))
    finally:
        admin.delete_topics([topic])
        admin.close()
