from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.pacing import Pacer, Speed, parse_speed

T0 = datetime(2024, 11, 6, tzinfo=UTC)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("spec", "factor"),
    [("original", 1.0), ("max", None), ("10x", 10.0), ("2.5X", 2.5), (" 60x ", 60.0)],
)
def test_parse_speed(spec: str, factor: float | None) -> None:
    assert parse_speed(spec) == Speed(factor)


@pytest.mark.parametrize("spec", ["fast", "0x", "-2x", "10", "x10", ""])
def test_parse_speed_rejects(spec: str) -> None:
    with pytest.raises(ValueError, match="speed"):
        parse_speed(spec)


def replay(pacer: Pacer, offsets: list[float], fake: FakeTime, work: float = 0.0) -> None:
    for offset in offsets:
        pacer.wait(T0 + timedelta(seconds=offset))
        fake.now += work


def test_original_speed_keeps_the_gaps() -> None:
    fake = FakeTime()
    replay(Pacer(Speed(1.0), clock=fake.clock, sleep=fake.sleep), [0, 5, 5, 12], fake)
    assert fake.slept == [5.0, 7.0]


def test_factor_divides_gaps_and_accounts_for_work_time() -> None:
    fake = FakeTime()
    replay(Pacer(Speed(10.0), clock=fake.clock, sleep=fake.sleep), [0, 60, 120], fake, work=1.0)
    assert fake.slept == pytest.approx([5.0, 5.0])


def test_late_and_out_of_order_posts_go_at_once() -> None:
    fake = FakeTime()
    replay(Pacer(Speed(1.0), clock=fake.clock, sleep=fake.sleep), [0, 10, 3, 4], fake, work=0.0)
    assert fake.slept == [10.0]


def test_max_never_sleeps() -> None:
    fake = FakeTime()
    replay(Pacer(Speed(None), clock=fake.clock, sleep=fake.sleep), [0, 3600, 7200], fake)
    assert fake.slept == []


def test_max_wait_caps_silences_but_keeps_later_gaps() -> None:
    fake = FakeTime()
    pacer = Pacer(Speed(1.0), clock=fake.clock, sleep=fake.sleep, max_wait_s=2.0)
    replay(pacer, [0, 3600, 3601, 3611], fake)
    assert fake.slept == [2.0, 1.0, 2.0]
