"""Run one live source: read frames, normalise, publish, checkpoint, reconnect. The glue.

Two tasks share a bounded queue (memory stays bounded whatever the source sends: when the queue
is full the reader stops reading and the platform's flow control pushes back):

- the reader opens `source.stream()`, puts frames on the queue and reconnects after
  `SourceDisconnected` / `RateLimited` with `Backoff` (at least the server's Retry-After; never
  sooner than `backoff.MIN_DELAY_S`); `SourceRejected` ends the run with an error.
- the processor takes frames in batches and, in a worker thread (publishing may block while the
  producer's buffer is full; the event loop never does), normalises them, applies the oversize
  rule and the local filters, drops reconnect overlaps by dedupe key, publishes, and moves the
  source's position. About every `checkpoint_every_s` (and at the end) it flushes the producer
  and, when every record was acknowledged, saves `source.checkpoint()`.

The run ends on `stop` (signals), after `limits.max_posts` posts or `limits.duration_s` seconds,
when the source ends by itself (a feed read ``--once``), or on an error (`RunSummary.error`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from typing import Any

from connectors.live.backoff import Backoff
from connectors.live.checkpoint import CheckpointStore
from connectors.live.metrics import LiveMetrics
from connectors.live.run_types import LiveSink, RunLimits, RunSummary
from connectors.live.source import (
    Filters,
    Frame,
    LiveSource,
    Normalised,
    SourceDisconnected,
    SourceRejected,
)
from connectors.publisher import DeliveryStats
from connectors.size import enforce_size
from models.dead_letters import DeadLetter, RecordOrigin
from models.errors import InvalidRecord
from models.post_events import PostDeleted, PostEdited
from models.records import Post

logger = logging.getLogger(__name__)

_BATCH = 256


class _End:
    """Queue sentinel: the reader is done (`error` set when it gave up)."""

    def __init__(self, error: str | None = None) -> None:
        self.error = error


class SourceRunner:
    """Runs `source` into `sink` (see the module docstring). Not reusable: one `run()` each."""

    def __init__(
        self,
        source: LiveSource,
        sink: LiveSink,
        *,
        events_topic: str,
        max_chars: int,
        backoff: Backoff,
        store: CheckpointStore | None = None,
        filters: Filters | None = None,
        limits: RunLimits | None = None,
        metrics: LiveMetrics | None = None,
        queue_size: int = 1_000,
        checkpoint_every_s: float = 1.0,
        dedupe_window: int = 20_000,
    ) -> None:
        self.source = source
        self.sink = sink
        self.events_topic = events_topic
        self.max_chars = max_chars
        self.backoff = backoff
        self.store = store
        self.filters = filters or Filters()
        self.limits = limits or RunLimits()
        self.metrics = metrics
        self.checkpoint_every_s = checkpoint_every_s
        self.summary = RunSummary(source=source.source)
        self._queue: asyncio.Queue[Frame | _End] = asyncio.Queue(maxsize=queue_size)
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._dedupe_window = dedupe_window
        self._failures_at_start = 0

    async def run(self, stop: asyncio.Event) -> RunSummary:
        """Run until stopped (see module docstring). Raises `CheckpointError` for an unreadable
        checkpoint before reading anything; other failures end up in `RunSummary.error`."""
        if self.store is not None:
            state = await asyncio.to_thread(self.store.load)
            if state is not None:
                self.source.restore(state)
                logger.info("source=%s resuming from %s", self.source.source, self.store.path)
        self._failures_at_start = _failures(self.sink.stats)
        reader = asyncio.create_task(self._read(stop), name=f"read {self.source.source}")
        try:
            await self._process(stop)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await self._checkpoint(final=True)
        return self.summary

    async def _read(self, stop: asyncio.Event) -> None:
        name = self.source.source
        while not stop.is_set():
            delivered = False
            try:
                async for frame in self.source.stream():
                    await self._queue.put(frame)
                    delivered = True
            except SourceRejected as exc:
                logger.error("source=%s rejected: %s", name, exc)
                await self._queue.put(_End(f"rejected: {exc}"))
                return
            except SourceDisconnected as exc:
                cause, backoff, retry_after = type(exc).__name__, exc.backoff, exc.retry_after_s
                detail = str(exc)
            except Exception as exc:
                logger.exception("source=%s stream failed unexpectedly", name)
                cause, backoff, retry_after = "unexpected", "network", None
                detail = f"{type(exc).__name__}: {exc}"
            else:
                await self._queue.put(_End())
                return
            if delivered:
                self.backoff.reset()
            delay = self.backoff.next_delay(backoff, retry_after)
            self.summary.reconnects += 1
            if self.metrics is not None:
                self.metrics.reconnects.labels(source=name, cause=cause).inc()
            logger.warning(
                "source=%s disconnected (%s); reconnecting in %.2fs", name, detail, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _process(self, stop: asyncio.Event) -> None:
        deadline = None
        if self.limits.duration_s is not None:
            deadline = time.monotonic() + self.limits.duration_s
        last_checkpoint = time.monotonic()
        while True:
            if stop.is_set():
                self.summary.stopped_by = "stop"
                return
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self.summary.stopped_by = "duration"
                return
            wait = 0.2 if remaining is None else min(0.2, remaining)
            try:
                first = await asyncio.wait_for(self._queue.get(), timeout=wait)
            except TimeoutError:
                first = None
            batch: list[Frame | _End] = [] if first is None else [first]
            while batch and len(batch) < _BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            frames = [item for item in batch if isinstance(item, Frame)]
            reached = await asyncio.to_thread(self._handle_batch, frames) if frames else False
            if reached:
                self.summary.stopped_by = "max_posts"
                return
            ends = [item for item in batch if isinstance(item, _End)]
            if ends:
                self.summary.error = ends[0].error
                self.summary.stopped_by = "error" if ends[0].error else "end"
                return
            if time.monotonic() - last_checkpoint >= self.checkpoint_every_s:
                if not await self._checkpoint():
                    self.summary.stopped_by = "error"
                    return
                last_checkpoint = time.monotonic()

    def _handle_batch(self, frames: list[Frame]) -> bool:
        """Normalise and publish `frames` in order; True once `max_posts` is reached."""
        for frame in frames:
            self._handle(frame)
            limit = self.limits.max_posts
            if limit is not None and self.summary.published >= limit:
                return True
        return False

    def _handle(self, frame: Frame) -> None:
        name = self.source.source
        if frame.kind == "record":
            self.summary.read += 1
            if self.metrics is not None:
                self.metrics.frames_read.labels(source=name).inc()
        try:
            result = self._normalise(frame)
        except InvalidRecord as err:
            # The same bad bytes again (a reconnect overlap) are dead-lettered once.
            if self._seen("invalid:" + hashlib.sha256(frame.data).hexdigest()):
                return
            logger.info("source=%s dead-lettering %s: %s", name, frame.origin, err)
            letter = DeadLetter.of_invalid(
                frame.data, err, RecordOrigin(key=frame.origin), source=name
            )
            self.sink.publish_dead_letter(letter)
            self.summary.dead_lettered += 1
            self.summary.by_reason[err.reason] += 1
            return
        if result.dedupe_key is not None and self._seen(result.dedupe_key):
            return
        for output in result.outputs:
            self._publish(output)
        if result.position is not None:
            self.source.advance(result.position)
        if result.event_time is not None and self.metrics is not None:
            self.metrics.last_event.labels(source=name).set(result.event_time.timestamp())
            lag = (frame.received_at - result.event_time).total_seconds()
            self.metrics.source_lag.labels(source=name).set(max(lag, 0.0))

    def _seen(self, key: str) -> bool:
        """True (and counted as a duplicate) when `key` was seen within the recent window."""
        if key in self._recent:
            self.summary.duplicates += 1
            if self.metrics is not None:
                self.metrics.duplicates.labels(source=self.source.source).inc()
            return True
        self._recent[key] = None
        if len(self._recent) > self._dedupe_window:
            self._recent.popitem(last=False)
        return False

    def _normalise(self, frame: Frame) -> Normalised:
        try:
            result = self.source.normalise(frame)
            outputs: list[Any] = []
            for output in result.outputs:
                if isinstance(output, Post):
                    outputs.extend(enforce_size(output, self.max_chars, self.source.oversize))
                else:
                    outputs.append(output)
        except InvalidRecord:
            raise
        except Exception as exc:
            logger.exception("source=%s normaliser failed on %s", self.source.source, frame.origin)
            raise InvalidRecord("normalisation_error", f"{type(exc).__name__}: {exc}") from exc
        return Normalised(tuple(outputs), result.position, result.dedupe_key, result.event_time)

    def _publish(self, output: Post | PostDeleted | PostEdited) -> None:
        name = self.source.source
        if isinstance(output, Post):
            if not self.filters.admits(output):
                self.summary.filtered += 1
                if self.metrics is not None:
                    self.metrics.filtered.labels(source=name).inc()
                return
            self.sink.publish_post(output)
            self.summary.published += 1
            return
        self.sink.publish_event(
            self.events_topic, output.post_id, output.model_dump_json().encode("utf-8")
        )
        if isinstance(output, PostDeleted):
            self.summary.deleted += 1
        else:
            self.summary.edited += 1
        if self.metrics is not None:
            self.metrics.post_events.labels(source=name, type=output.type).inc()

    async def _checkpoint(self, *, final: bool = False) -> bool:
        """Flush the producer; when nothing failed, save the source's checkpoint. False (and
        `RunSummary.error` set) when Kafka failed to acknowledge something: the run must stop,
        and the checkpoint stays where every earlier record was delivered."""
        await asyncio.to_thread(self.sink.flush, 60.0 if final else 30.0)
        if _failures(self.sink.stats) > self._failures_at_start:
            self.summary.error = self.summary.error or "Kafka did not acknowledge some records"
            logger.error("source=%s delivery failures: checkpoint NOT saved", self.source.source)
            return False
        if self.store is None:
            return True
        await asyncio.to_thread(self.store.save, self.source.checkpoint())
        if self.metrics is not None:
            self.metrics.checkpoint_saved.labels(source=self.source.source).set(time.time())
        return True


def _failures(stats: DeliveryStats) -> int:
    with stats._lock:
        return stats.posts_failed + stats.dead_letters_failed + stats.events_failed
