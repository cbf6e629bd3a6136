"""Coordinated posting in the worker: two `pipeline.runner` steps.

1. `repartition_step` (agent on ``posts``, next to the matching agent, same consumer group):
   every post that is not a platform repost is re-sent, without its raw payload, to
   ``<posts>.coordination`` under ONE constant key (`COORDINATION_KEY`), so every post lands on
   one partition and is seen by one worker. A post its parser refuses is skipped here (the
   matching agent dead-letters it: one dead letter per bad record).
2. `CoordinationStep` (agent on ``<posts>.coordination``): `models.signals.coordination`'s
   windowed MinHash-LSH detector; every group that grew in the batch (at least
   ``min_accounts`` accounts) is written to the coordination index and emitted on
   ``narrative.coordination`` (keyed by group id). ``narrmon_coordination_groups`` counts each
   group id once.

State and scaling. The detector's state (the posts of the last ``window_min`` minutes, the live
groups) is in the memory of the process that owns the one partition; it is bounded (posts older
than the window leave the index, at most ``max_posts`` are held, a group is forgotten a window
after its last post). With several workers only that worker detects; a rebalance or restart
moves the partition and starts the window empty, so a campaign straddling it may form a second
group (with a new id). One partition caps the throughput of coordination at one process (the
detector costs well under a millisecond per post); the matching is not affected.
Groups that merge keep the older id; the younger group's document stays as it was last written.

Hits and groups are joined at read time: the API finds a post's groups by ``post_ids``
(``GET /api/coordination?post_id=``, and the hit detail).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from models.errors import InvalidRecord
from models.records import Post
from models.signals.coordination import CoordinationDetector, CoordinationGroup
from pipeline.agents.intake import parse_post
from pipeline.agents.recent_ids import RecentIds
from pipeline.elastic.signals import SignalSink
from pipeline.metrics import Metrics
from pipeline.runner import Output, Record, StepResult
from pipeline.signals.records import CoordinationGroupRecord

COORDINATION_KEY = b"coordination"


def lenient_parser(max_post_chars: int) -> Callable[[bytes], Post | None]:
    """`parse_post`, with None for a record it refuses (see the module docstring)."""

    def parse(raw: bytes) -> Post | None:
        try:
            return parse_post(raw, max_post_chars=max_post_chars)
        except InvalidRecord:
            return None

    return parse


async def repartition_step(batch: Sequence[Record[Post | None]]) -> StepResult[Post | None]:
    """One output per post that is not a repost, keyed by `COORDINATION_KEY`, in batch order."""
    outputs = [
        Output(COORDINATION_KEY, post.model_copy(update={"raw": None}).model_dump_json().encode())
        for record in batch
        if (post := record.value) is not None and post.references.repost_of is None
    ]
    return StepResult(outputs=outputs)


class CoordinationStep:
    """Feed a batch of posts to the detector; write and emit the groups that grew.

    Idempotent under the runner's retries and isolation: a post the detector has already seen
    yields its group again (`CoordinationDetector.group_of`), so a batch re-run after a failed
    write emits the same groups. Raises `ElasticUnavailable` (retried) when the index write
    fails transiently."""

    def __init__(
        self,
        detector: CoordinationDetector,
        metrics: Metrics,
        sink: SignalSink | None,
        *,
        max_ids: int = 200,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        counted: RecentIds | None = None,
    ) -> None:
        self.detector = detector
        self.metrics = metrics
        self.sink = sink
        self.max_ids = max_ids
        self._clock = clock
        self.counted = counted if counted is not None else RecentIds(10_000)

    async def __call__(self, batch: Sequence[Record[Post]]) -> StepResult[Post]:
        grown: dict[str, tuple[CoordinationGroup, str]] = {}
        for record in batch:
            post = record.value
            group = self.detector.observe(post) or self.detector.group_of(post.id)
            if group is not None:
                grown[group.group_id] = (group, post.text)
        now = self._clock()
        live = {group.group_id for group in self.detector.groups()}  # merged ones are gone
        records = [
            CoordinationGroupRecord.of(group, text, now, self.max_ids)
            for group, text in grown.values()
            if group.group_id in live
        ]
        for group_record in records:
            if self.counted.first_time(group_record.group_id):
                self.metrics.coordination_groups.inc()
        if self.sink is not None:
            await self.sink.write([(r.group_id, r.model_dump(mode="json")) for r in records])
        return StepResult(
            outputs=[Output(r.group_id.encode(), r.model_dump_json().encode()) for r in records]
        )
