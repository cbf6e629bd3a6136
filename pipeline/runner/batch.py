"""`BatchRunner`: the one loop every agent runs (see the `pipeline.runner` package docstring for
the at-least-once contract it keeps)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from models.dead_letters import RecordOrigin
from models.errors import InvalidRecord
from pipeline.errors import TransientError, WorkerFatalError
from pipeline.retry import backoff_delay
from pipeline.runner.activity import IN_FLIGHT, BatchesInFlight
from pipeline.runner.dead_letters import DeadLetterWriter
from pipeline.runner.step import Parser, Record, Step, StepResult

logger = logging.getLogger(__name__)

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between retries of a step that raised `TransientError` (forever, capped)."""

    base_s: float = 0.5
    cap_s: float = 30.0

    def delay(self, attempt: int) -> float:
        return backoff_delay(attempt, base_s=self.base_s, cap_s=self.cap_s)


FATAL: tuple[type[BaseException], ...] = (WorkerFatalError, MemoryError)
"""Step errors that stop the worker at once: they are not about any record."""


@dataclass(frozen=True)
class IsolationPolicy:
    """How a batch whose step failed (not transiently, not fatally) is searched for culprits:
    the step runs on halves, recursively, down to single records; a single record is tried
    `attempts` times in all before it is dead-lettered as ``step_failed``. A batch of n records
    with one culprit costs about 2·log2(n) + `attempts` step calls."""

    attempts: int = 2


def origin_of(event: Any) -> RecordOrigin:
    """Where a Faust event was read from (its key decoded as UTF-8, undecodable bytes replaced)."""
    message = event.message
    key = message.key
    if isinstance(key, bytes):
        key = key.decode("utf-8", errors="replace")
    return RecordOrigin(
        topic=message.topic, partition=message.partition, offset=message.offset, key=key
    )


def raw_value(event: Any) -> bytes:
    """The event's value as bytes (topics are declared with the ``raw`` serializer)."""
    value = event.value
    return value if isinstance(value, bytes) else bytes(value or b"")


class BatchRunner(Generic[T]):
    """Runs one step over batches of one topic.

    - `parse` turns each record's bytes into a value (raising `InvalidRecord`); `on_consumed` is
      called once per record read with the value, or None when it was refused (counters).
    - `step` gets the batch of parsed records (see `pipeline.runner.step`).
    - `output` is the Faust topic the step's `Output`s are sent to (None: the step emits nothing).
    - `dead_letters` writes refused records; `source` names them when the error does not.

    Not thread-safe; one runner per agent, driven from the event loop."""

    def __init__(
        self,
        *,
        name: str,
        parse: Parser[T],
        step: Step[T],
        dead_letters: DeadLetterWriter,
        source: str,
        output: Any = None,
        retry: RetryPolicy | None = None,
        isolation: IsolationPolicy | None = None,
        on_consumed: Callable[[T | None], None] | None = None,
        sleep: Sleep = asyncio.sleep,
        in_flight: BatchesInFlight = IN_FLIGHT,
    ) -> None:
        self.name = name
        self._parse = parse
        self._step = step
        self._dead_letters = dead_letters
        self._source = source
        self._output = output
        self._retry = retry or RetryPolicy()
        self._isolation = isolation or IsolationPolicy()
        self._on_consumed = on_consumed
        self._sleep = sleep
        self._in_flight = in_flight

    async def run(self, app: Any, stream: Any, *, batch_size: int, within_s: float) -> None:
        """The agent body: take batches of `stream` without acking, process each, ack it in
        order. Stops the worker (`fail_worker`) on an unexpected error; returns then."""
        async for events in stream.noack_take(batch_size, within=within_s):
            with self._in_flight.batch():
                try:
                    await self.process(events)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    await fail_worker(app, self.name, exc)
                    return
                for event in events:
                    await stream.ack(event)

    async def process(self, events: Sequence[Any]) -> None:
        """Handle one batch of Faust events; returns once every output and dead letter is
        delivered, so the caller may ack. Retries the step on `TransientError` and isolates the
        records a failing step chokes on (`run_step`); raises a `FATAL` step error or what the
        producer raises (the caller must then NOT ack)."""
        batch: list[Record[T]] = []
        refused: list[tuple[bytes, InvalidRecord, RecordOrigin]] = []
        for event in events:
            raw, origin = raw_value(event), origin_of(event)
            try:
                value = self.parse(raw)
            except InvalidRecord as invalid:
                refused.append((raw, invalid, origin))
                self._consumed(None)
                continue
            batch.append(Record(value, raw, origin))
            self._consumed(value)

        result = await self.run_step(batch) if batch else StepResult[T]()
        refused.extend((r.raw, why, r.origin) for r, why in result.refused)

        deliveries: list[asyncio.Future[Any]] = []
        for original, why, where in refused:
            deliveries.append(
                await self._dead_letters.send_invalid(original, why, where, source=self._source)
            )
        for output in result.outputs:
            deliveries.append(await self._output.send(key=output.key, value=output.value))
        if deliveries:
            await asyncio.gather(*deliveries)

    def parse(self, raw: bytes) -> T:
        """The parser's value for `raw`; raises `InvalidRecord`, also for any exception the
        parser did not anticipate (reason ``unexpected_error``: a bug must not stop the stream)."""
        try:
            return self._parse(raw)
        except InvalidRecord:
            raise
        except Exception as exc:
            logger.exception("%s: parser failed unexpectedly", self.name)
            raise InvalidRecord("unexpected_error", f"{type(exc).__name__}: {exc}") from exc

    async def run_step(self, batch: Sequence[Record[T]]) -> StepResult[T]:
        """`step(batch)`: retried with backoff for as long as it raises `TransientError`; when it
        raises anything else, the records responsible are isolated (`IsolationPolicy`) and
        refused as ``step_failed``, the others' results kept. Raises only `FATAL` errors."""
        try:
            return await self._step_until_not_transient(batch)
        except FATAL:
            raise
        except Exception as exc:
            if len(batch) == 1:
                return await self._retry_single(batch[0], exc)
            logger.warning(
                "%s: step failed on a batch of %d (%s: %s); isolating the record(s) responsible",
                self.name,
                len(batch),
                type(exc).__name__,
                exc,
            )
        middle = len(batch) // 2
        first = await self.run_step(batch[:middle])
        second = await self.run_step(batch[middle:])
        return StepResult(
            outputs=[*first.outputs, *second.outputs],
            refused=[*first.refused, *second.refused],
        )

    async def _retry_single(self, record: Record[T], error: Exception) -> StepResult[T]:
        for _ in range(self._isolation.attempts - 1):
            try:
                return await self._step_until_not_transient([record])
            except FATAL:
                raise
            except Exception as exc:
                error = exc
        origin = record.origin
        logger.error(
            "%s: step failed %d times on the record at %s[%s]@%s, dead-lettering it",
            self.name,
            self._isolation.attempts,
            origin.topic,
            origin.partition,
            origin.offset,
            exc_info=error,
        )
        why = InvalidRecord("step_failed", f"{type(error).__name__}: {error}")
        return StepResult(refused=[(record, why)])

    async def _step_until_not_transient(self, batch: Sequence[Record[T]]) -> StepResult[T]:
        attempt = 0
        while True:
            try:
                return await self._step(batch)
            except TransientError as exc:
                delay = self._retry.delay(attempt)
                logger.warning(
                    "%s: batch of %d failed transiently (attempt %d), retrying in %.1fs: %s",
                    self.name,
                    len(batch),
                    attempt + 1,
                    delay,
                    exc,
                )
                attempt += 1
                await self._sleep(delay)

    def _consumed(self, value: T | None) -> None:
        if self._on_consumed is not None:
            self._on_consumed(value)


async def fail_worker(app: Any, stage: str, exc: BaseException) -> None:
    """Stop the worker with an error, leaving the current batch unacknowledged.

    Its offsets are not committed, so the restarted worker (systemd, Kubernetes, `narrmon demo`)
    gets the records again."""
    logger.critical("%s batch failed, stopping the worker unacknowledged: %r", stage, exc)
    await app.crash(exc)
