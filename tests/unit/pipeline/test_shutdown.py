"""The shutdown deadline: started once, cleans up and exits after the grace; a process that
exits in time cancels it; the worker's stop handlers start it before the graceful stop."""

from __future__ import annotations

import threading
import time

from pipeline.settings import Settings
from pipeline.shutdown import EXIT_CODE, ShutdownDeadline
from pipeline.worker import bound_stop


def test_after_the_grace_it_cleans_up_and_exits_with_sigterms_code() -> None:
    exited: list[int] = []
    done = threading.Event()
    order: list[str] = []

    def exit_(code: int) -> None:
        exited.append(code)
        done.set()

    def broken_cleanup() -> None:
        order.append("broken")
        raise OSError("target dir gone")

    deadline = ShutdownDeadline(
        0.05, cleanups=[broken_cleanup, lambda: order.append("unregistered")], exit=exit_
    )
    started = time.monotonic()
    deadline.start()
    deadline.start()  # idempotent: one timer
    assert done.wait(5)
    assert time.monotonic() - started >= 0.05
    assert exited == [EXIT_CODE]
    assert order == ["broken", "unregistered"]


def test_a_cancelled_deadline_never_exits() -> None:
    exited: list[int] = []
    deadline = ShutdownDeadline(0.05, exit=exited.append)
    deadline.start()
    deadline.cancel()
    time.sleep(0.2)
    assert exited == []


def test_the_workers_stop_signals_start_the_deadline_then_stop_gracefully() -> None:
    calls: list[str] = []

    class FakeModeWorker:
        def _on_sigterm(self) -> None:
            calls.append("graceful stop")

        def _on_sigint(self) -> None:
            calls.append("graceful stop (int)")

    worker = FakeModeWorker()
    deadline = ShutdownDeadline(60, exit=lambda code: None)
    bound_stop(worker, deadline)
    worker._on_sigterm()
    assert deadline.started and calls == ["graceful stop"]
    deadline.cancel()


def test_the_grace_is_configurable_and_defaults_to_20_s(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert Settings().worker.shutdown_grace_s == 20.0
    monkeypatch.setenv("NARRMON_WORKER__SHUTDOWN_GRACE_S", "5")
    assert Settings.load().worker.shutdown_grace_s == 5.0
