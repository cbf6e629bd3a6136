"""The batch runner's own logic with a fake stream and topics: parse, step, deliver, then ack in
order; dead letters from the origin; transient retries without acks; fail-stop otherwise."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry

from models.dead_letters import DeadLetter
from models.errors import InvalidRecord
from pipeline.errors import TransientError, WorkerFatalError
from pipeline.metrics import Metrics
from pipeline.runner import (
    BatchRunner,
    DeadLetterWriter,
    Output,
    Record,
    RetryPolicy,
    StepResult,
)
from pipeline.runner.activity import BatchesInFlight
from tests.unit.runner.fakes import FakeApp, FakeStream, FakeTopic, events


def parse_number(raw: bytes) -> int:
    """A parser: JSON integers only; ``"boom"`` is a parser bug."""
    value = json.loads(raw)
    if value == "boom":
        raise RuntimeError("parser bug")
    if not isinstance(value, int):
        raise InvalidRecord("schema_error", f"not a number: {value!r}", source="numbers")
    return value


async def double(batch: Sequence[Record[int]]) -> StepResult[int]:
    """A step: one output per record, refusing negative numbers."""
    outputs = [
        Output(str(r.value).encode(), str(2 * r.value).encode()) for r in batch if r.value >= 0
    ]
    refused = [(r, InvalidRecord("index_rejected", "negative")) for r in batch if r.value < 0]
    return StepResult(outputs=outputs, refused=refused)


class Harness:
    def __init__(  # type: ignore[no-untyped-def]
        self, step=double, *, hold: bool = False, in_flight: BatchesInFlight | None = None
    ) -> None:
        self.journal: list[str] = []
        self.metrics = Metrics(CollectorRegistry())
        self.out = FakeTopic("out", self.journal, hold=hold)
        self.dlq = FakeTopic("dlq", self.journal, hold=hold)
        self.sleeps: list[float] = []
        self.consumed: list[int | None] = []

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        self.runner: BatchRunner[int] = BatchRunner(
            name="test",
            parse=parse_number,
            step=step,
            dead_letters=DeadLetterWriter(self.dlq, self.metrics),
            source="fallback",
            output=self.out,
            retry=RetryPolicy(base_s=1.0, cap_s=4.0),
            on_consumed=self.consumed.append,
            sleep=sleep,
            in_flight=in_flight or BatchesInFlight(),
        )

    def dead_letters(self) -> list[DeadLetter]:
        return [DeadLetter.model_validate_json(value) for _key, value in self.dlq.sent]


def test_a_batch_is_parsed_stepped_delivered_and_then_acked_in_order() -> None:
    h = Harness()
    batch = events("numbers", [b"1", b"not json", b'"x"', b'"boom"', b"-3", b"2"])
    stream, app = FakeStream([batch], h.journal), FakeApp()
    asyncio.run(h.runner.run(app, stream, batch_size=10, within_s=0.1))

    assert app.crashed == []
    assert h.out.sent == [(b"1", b"2"), (b"2", b"4")]
    assert h.consumed == [1, None, None, None, -3, 2]
    letters = h.dead_letters()
    assert [d.reason for d in letters] == [
        "unexpected_error",  # json.loads raised: this parser did not anticipate it
        "schema_error",
        "unexpected_error",
        "index_rejected",
    ]
    assert letters[2].error == "RuntimeError: parser bug"
    # the origin of each record, its exact bytes, and the source (the error's, else the fallback)
    assert [(d.original_topic, d.original_offset, d.key) for d in letters] == [
        ("numbers", 1, "k1"),
        ("numbers", 2, "k2"),
        ("numbers", 3, "k3"),
        ("numbers", 4, "k4"),
    ]
    assert letters[0].original() == b"not json"
    assert [d.source for d in letters] == ["fallback", "numbers", "fallback", "fallback"]
    # every delivery before the first ack; acks in consumption order
    acks = [i for i, line in enumerate(h.journal) if line.startswith("ack")]
    assert h.journal[acks[0] :] == [f"ack {i}" for i in range(6)]
    assert h.journal[: acks[0]].count("delivered dlq") == 4
    assert h.journal[: acks[0]].count("delivered out") == 2
    get = h.metrics.registry.get_sample_value
    assert (
        get("narrmon_dead_lettered_total", {"reason": "unexpected_error", "source": "fallback"})
        == 2
    )


def test_nothing_is_acked_before_the_outputs_are_delivered() -> None:
    h = Harness(hold=True)
    stream = FakeStream([events("numbers", [b"1", b"x"])], h.journal)

    async def scenario() -> None:
        task = asyncio.create_task(h.runner.run(FakeApp(), stream, batch_size=10, within_s=0.1))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not any(line.startswith("ack") for line in h.journal)
        assert len(h.out.sent) == 1 and len(h.dlq.sent) == 1  # sent, not yet delivered
        h.out.deliver()
        h.dlq.deliver()
        await task

    asyncio.run(scenario())
    assert h.journal[-2:] == ["ack 0", "ack 1"]


def test_a_transient_failure_is_retried_with_backoff_without_acking() -> None:
    calls: list[list[int]] = []

    async def flaky(batch: Sequence[Record[int]]) -> StepResult[int]:
        calls.append([r.value for r in batch])
        if len(calls) < 4:
            assert not any(line.startswith("ack") for line in h.journal)
            raise TransientError("service unavailable")
        return await double(batch)

    h = Harness(flaky)
    stream = FakeStream([events("numbers", [b"1", b"2"])], h.journal)
    asyncio.run(h.runner.run(FakeApp(), stream, batch_size=10, within_s=0.1))
    assert calls == [[1, 2]] * 4
    assert len(h.sleeps) == 3
    assert 0.8 <= h.sleeps[0] <= 1.2 and 1.6 <= h.sleeps[1] <= 2.4 and h.sleeps[2] <= 4.0
    assert h.out.sent == [(b"1", b"2"), (b"2", b"4")]
    assert h.journal[-2:] == ["ack 0", "ack 1"]


@pytest.mark.parametrize("fatal", [WorkerFatalError("model thread gone"), MemoryError()])
def test_a_fatal_step_error_stops_the_worker_unacknowledged(fatal: BaseException) -> None:
    async def broken(batch: Sequence[Record[int]]) -> StepResult[int]:
        raise fatal

    h = Harness(broken)
    second = events("numbers", [b"3"])
    stream, app = FakeStream([events("numbers", [b"1", b"x"]), second], h.journal), FakeApp()
    asyncio.run(h.runner.run(app, stream, batch_size=10, within_s=0.1))
    assert app.crashed == [fatal]
    assert not any(line.startswith("ack") for line in h.journal)
    assert h.out.sent == [] and h.dlq.sent == []  # dead letters go out only with the batch


def test_a_batch_counts_as_in_flight_from_its_step_until_its_acks() -> None:
    """The consumer watchdog tells back-pressure from orphaned records by this count."""
    in_flight = BatchesInFlight()
    seen: list[int] = []

    async def watched(batch: Sequence[Record[int]]) -> StepResult[int]:
        seen.append(in_flight.count)
        return await double(batch)

    h = Harness(watched, in_flight=in_flight)
    stream = FakeStream([events("numbers", [b"1"]), events("numbers", [b"2"])], h.journal)
    asyncio.run(h.runner.run(FakeApp(), stream, batch_size=10, within_s=0.1))
    assert (
        seen == [1, 1] and [line for line in h.journal if line.startswith("ack")] == ["ack 0"] * 2
    )
    assert in_flight.count == 0 and not in_flight.busy

    async def broken(batch: Sequence[Record[int]]) -> StepResult[int]:
        raise WorkerFatalError("model thread gone")

    h.runner._step = broken
    app = FakeApp()
    asyncio.run(
        h.runner.run(
            app, FakeStream([events("numbers", [b"3"])], h.journal), batch_size=10, within_s=0.1
        )
    )
    assert app.crashed and in_flight.count == 0  # a failed batch is not in flight for ever


def test_a_batch_of_only_invalid_records_never_calls_the_step() -> None:
    async def unreachable(batch: Sequence[Record[int]]) -> StepResult[int]:
        raise AssertionError("no records to step")

    h = Harness(unreachable)
    stream = FakeStream([events("numbers", [b"x", b"[]"])], h.journal)
    asyncio.run(h.runner.run(FakeApp(), stream, batch_size=10, within_s=0.1))
    assert len(h.dlq.sent) == 2
    assert h.journal[-2:] == ["ack 0", "ack 1"]


def test_parse_reports_unanticipated_parser_errors_as_unexpected_error() -> None:
    h = Harness()
    with pytest.raises(InvalidRecord) as caught:
        h.runner.parse(b'"boom"')
    assert caught.value.reason == "unexpected_error"
    assert caught.value.detail == "RuntimeError: parser bug"
