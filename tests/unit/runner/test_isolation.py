"""A step that chokes on some record(s): the runner isolates them (halves, then one by one, a
bounded number of attempts), dead-letters them as ``step_failed`` and delivers the rest; only a
fatal error stops the worker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from models.dead_letters import DeadLetter
from pipeline.errors import TransientError, WorkerFatalError
from pipeline.runner import IsolationPolicy, Record, StepResult
from tests.unit.runner.fakes import FakeApp, FakeStream, events
from tests.unit.runner.test_batch_runner import Harness, double


class Poisoned:
    """`double`, except that any batch holding a poisoned value raises ``ValueError``."""

    def __init__(self, *poison: int) -> None:
        self.poison = set(poison)
        self.calls: list[list[int]] = []

    async def __call__(self, batch: Sequence[Record[int]]) -> StepResult[int]:
        values = [r.value for r in batch]
        self.calls.append(values)
        if self.poison & set(values):
            raise ValueError(f"cannot match {sorted(self.poison & set(values))}")
        return await double(batch)


def _run(step: Poisoned, values: list[int]) -> Harness:
    h = Harness(step)
    raw = [str(v).encode() for v in values]
    asyncio.run(
        h.runner.run(
            FakeApp(), FakeStream([events("numbers", raw)], h.journal), batch_size=16, within_s=0.1
        )
    )
    return h


def test_one_poisoned_record_is_dead_lettered_and_the_rest_delivered_and_acked() -> None:
    step = Poisoned(13)
    values = [1, 2, 3, 4, 13, 5, 6, 7]
    h = _run(step, values)
    assert sorted(h.out.sent) == sorted(
        (str(v).encode(), str(2 * v).encode()) for v in values if v != 13
    )
    (letter,) = h.dead_letters()
    assert (letter.reason, letter.original(), letter.original_offset) == ("step_failed", b"13", 4)
    assert letter.error == "ValueError: cannot match [13]"
    assert h.journal[-8:] == [f"ack {i}" for i in range(8)]
    # whole batch, halves down to the culprit, then its second attempt: bounded
    assert len(step.calls) <= 2 * 3 + 2
    assert step.calls.count([13]) == IsolationPolicy().attempts
    get = h.metrics.registry.get_sample_value
    assert get("narrmon_dead_lettered_total", {"reason": "step_failed", "source": "fallback"}) == 1


def test_culprits_in_both_halves_are_all_found() -> None:
    h = _run(Poisoned(1, 8), list(range(1, 9)))
    assert sorted(d.original() for d in h.dead_letters()) == [b"1", b"8"]
    assert len(h.out.sent) == 6


def test_a_record_that_fails_once_on_its_own_is_retried_not_dead_lettered() -> None:
    seen: list[tuple[int, ...]] = []

    async def fails_each_shape_once(batch: Sequence[Record[int]]) -> StepResult[int]:
        shape = tuple(r.value for r in batch)
        seen.append(shape)
        if seen.count(shape) == 1:
            raise RuntimeError(f"flaky on {shape}")
        return await double(batch)

    h = Harness(fails_each_shape_once)
    stream = FakeStream([events("numbers", [b"3", b"4"])], h.journal)
    asyncio.run(h.runner.run(FakeApp(), stream, batch_size=4, within_s=0.1))
    assert h.dead_letters() == []
    assert sorted(h.out.sent) == [(b"3", b"6"), (b"4", b"8")]
    assert seen == [(3, 4), (3,), (3,), (4,), (4,)]


def test_transient_errors_during_isolation_are_retried_not_blamed_on_records() -> None:
    failures = iter([ValueError("bad record somewhere"), TransientError("es down")])

    async def step(batch: Sequence[Record[int]]) -> StepResult[int]:
        error = next(failures, None)
        if error is not None:
            raise error
        return await double(batch)

    h = Harness(step)
    asyncio.run(
        h.runner.run(
            FakeApp(),
            FakeStream([events("numbers", [b"1", b"2"])], h.journal),
            batch_size=4,
            within_s=0.1,
        )
    )
    assert h.dead_letters() == []
    assert len(h.sleeps) == 1
    assert sorted(h.out.sent) == [(b"1", b"2"), (b"2", b"4")]


def test_a_fatal_error_while_isolating_stops_the_worker_with_nothing_sent_or_acked() -> None:
    calls = 0

    async def step(batch: Sequence[Record[int]]) -> StepResult[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("some record")
        raise WorkerFatalError("model thread gone")

    h = Harness(step)
    app = FakeApp()
    asyncio.run(
        h.runner.run(
            app,
            FakeStream([events("numbers", [b"1", b"2", b"3"])], h.journal),
            batch_size=4,
            within_s=0.1,
        )
    )
    assert [type(e) for e in app.crashed] == [WorkerFatalError]
    assert h.out.sent == [] and h.dlq.sent == []
    assert not any(line.startswith("ack") for line in h.journal)


def test_dead_letter_keeps_its_reason_type() -> None:
    assert "step_failed" in DeadLetter.model_fields["reason"].annotation.__args__  # type: ignore[union-attr]
