"""The SIGUSR1 diagnostic: task await chains and thread stacks are formatted readably."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import Any

from pipeline.worker import await_chain, dump_stacks, format_task_stacks, format_thread_stacks


async def _inner(gate: asyncio.Event) -> None:
    await gate.wait()


async def _outer(gate: asyncio.Event) -> None:
    await _inner(gate)


def test_task_stack_follows_awaits_down_to_the_pending_future() -> None:
    async def scenario() -> str:
        gate = asyncio.Event()
        task = asyncio.create_task(_outer(gate), name="blocked-one")
        await asyncio.sleep(0)
        text = format_task_stacks([task])
        gate.set()
        await task
        return text

    text = asyncio.run(scenario())
    lines = text.splitlines()
    assert lines[0] == "TASK blocked-one _outer (pending)"
    # outermost first, then the coroutine it awaits, then Event.wait, then the future itself
    assert text.index("in _outer") < text.index("in _inner") < text.index("in wait")
    assert "await _inner(gate)" in text and "await gate.wait()" in text
    assert lines[-1].strip().startswith("waiting on <Future pending")


def test_await_chain_of_a_finished_coroutine_is_empty() -> None:
    async def done() -> None:
        return None

    coro = done()
    with contextlib.suppress(StopIteration):
        coro.send(None)
    assert list(await_chain(coro)) == []


def test_await_chain_goes_through_async_generators() -> None:
    async def numbers(gate: asyncio.Event) -> Any:
        await gate.wait()
        yield 1

    async def consume(gate: asyncio.Event) -> None:
        async for _ in numbers(gate):
            pass

    async def scenario() -> list[str]:
        gate = asyncio.Event()
        task = asyncio.create_task(consume(gate))
        await asyncio.sleep(0)
        names = [frame.f_code.co_name for frame in await_chain(task.get_coro())]
        gate.set()
        await task
        return names

    assert asyncio.run(scenario()) == ["consume", "numbers", "wait"]


def test_thread_stacks_are_named_and_show_where_each_thread_waits() -> None:
    release = threading.Event()

    def parked() -> None:
        release.wait()

    thread = threading.Thread(target=parked, name="parked-thread")
    thread.start()
    try:
        frames = sys._current_frames()
        assert thread.ident is not None
        text = format_thread_stacks(
            {thread.ident: frames[thread.ident]}, {thread.ident: "parked-thread"}
        )
    finally:
        release.set()
        thread.join()
    assert text.startswith(f"THREAD parked-thread (ident {thread.ident})")
    assert "in parked" in text and "release.wait()" in text


def test_dump_stacks_covers_the_running_loop_and_every_thread() -> None:
    async def scenario() -> str:
        gate = asyncio.Event()
        task = asyncio.create_task(_outer(gate), name="watched")
        await asyncio.sleep(0)
        text = dump_stacks()
        gate.set()
        await task
        return text

    text = asyncio.run(scenario())
    assert "=== asyncio tasks ===" in text and "TASK watched _outer (pending)" in text
    assert "=== threads ===" in text and "THREAD MainThread" in text


class _Actor:
    """Awaitable the way Faust's actors are: ``__await__`` delegates to a coroutine."""

    def __init__(self, gate: asyncio.Event) -> None:
        self._coro = _outer(gate)

    def __await__(self) -> Any:
        return self._coro.__await__()


def test_await_chain_goes_through_objects_that_delegate_await() -> None:
    async def run(actor: _Actor) -> None:
        await actor

    async def scenario() -> list[str]:
        gate = asyncio.Event()
        task = asyncio.create_task(run(_Actor(gate)))
        await asyncio.sleep(0)
        names = [frame.f_code.co_name for frame in await_chain(task.get_coro())]
        gate.set()
        await task
        return names

    assert asyncio.run(scenario()) == ["run", "_outer", "_inner", "wait"]
