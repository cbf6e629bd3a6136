"""Re-key hits by narrative id: ``hits`` (keyed by hit id) -> ``hits.by-narrative``.

Spike detection counts per narrative, so every hit of a narrative must reach the one worker that
owns the narrative's counts and baseline: Kafka sends equal keys to one partition, and a
partition to one worker of the group. `RepartitionStep` is a `pipeline.runner` step: at least
once, like every step (a redelivered hit is re-sent with the same hit id, and the spike step
counts it once, see `pipeline.spikes.detector`). The re-keyed copy leaves out the embedding and
the raw source payload, which the spike detector never reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.records import Hit
from pipeline.runner import Output, Record, StepResult


def slim(hit: Hit) -> Hit:
    """`hit` without its embedding and the post's raw payload."""
    return hit.model_copy(
        update={"embedding": None, "post": hit.post.model_copy(update={"raw": None})}
    )


async def repartition_step(batch: Sequence[Record[Hit]]) -> StepResult[Hit]:
    """One output per hit, keyed by its narrative id, in batch order."""
    outputs = [
        Output(
            record.value.narrative.id.encode("utf-8"),
            slim(record.value).model_dump_json().encode("utf-8"),
        )
        for record in batch
    ]
    return StepResult(outputs=outputs)
