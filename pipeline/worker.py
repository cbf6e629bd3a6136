"""Run one narrmon worker process: the blocking entry point behind `narrmon worker`.

Order matters: topics exist, the model is loaded and warmed up, the hits index exists and the
``/metrics`` endpoint answers BEFORE the Faust worker joins the consumer group, so the first
batch is never delayed by a model load (which would stall heartbeats' neighbours: commits and
rebalances) and Prometheus sees the worker from its first second. SIGTERM/SIGINT stop it
gracefully (Faust finishes the batches in flight, acks them and commits), within
``worker.shutdown_grace_s`` even when the broker or Elasticsearch is gone (`pipeline.shutdown`);
SIGKILL is safe too, see `pipeline.runner` and, for the restart's recovery seek,
`pipeline.runner.seek_guard`.

Everything the agents share is built ONCE here, before the Faust worker starts, into a frozen
`pipeline.agents.deps.WorkerDeps`. Announcing ``/metrics`` to a Prometheus is opt-in: pass a
``scrape_hook`` (`narrmon worker --register-with DIR`); the runtime never imports the dev stack.

Diagnostics: SIGUSR1 logs (level WARNING, logger ``pipeline.worker``) the stack of every asyncio
task, followed down its ``await`` chain to the future it is blocked on (the worker's loop and the
loops of mode service threads, i.e. Faust's consumer thread), and the Python stack of every thread,
then carries on. ``kill -USR1 <pid>`` is the first thing to do when a worker stops making progress
without an error. It runs on the event loop, so a loop blocked by synchronous code cannot answer
(then the worker misses heartbeats and is evicted from the group, which the log shows anyway).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import AsyncGeneratorType, CoroutineType, FrameType, GeneratorType
from typing import TYPE_CHECKING, Any

from models.matching import Matcher
from pipeline.agents.deps import WorkerDeps, model_executor
from pipeline.app import Extension, create_app, declare_topics, install_agents
from pipeline.feedback.consumer import review_stats_extension
from pipeline.file_sd import ScrapeHook
from pipeline.live_catalog.extension import live_catalog_extension
from pipeline.live_catalog.holder import MatcherHolder
from pipeline.metrics import Metrics
from pipeline.settings import Settings
from pipeline.shutdown import ShutdownDeadline
from pipeline.signals.extension import signals_extension
from pipeline.spikes.extension import spike_extension

if TYPE_CHECKING:
    from models.signals.emerging import UnmatchedStore

logger = logging.getLogger(__name__)

EXTENSIONS: list[Extension] = [
    spike_extension,
    live_catalog_extension,
    review_stats_extension,
    signals_extension,
]
"""Extensions every worker runs (``ext(app, deps)``): spike detection on the hits topic, the
live catalog (the catalog topic and, opt-in, a file watch), review statistics per narrative (the
reviews topic), the coordination agents and the emerging-narrative timer (`pipeline.signals`)."""

MatcherFactory = Callable[[], Matcher]
"""Loads the matcher (blocking); the default reads it from settings (`pipeline.agents.matcher`)."""

_FAUST_LEVELS = {"warning": "warn", "critical": "crit"}


def faust_loglevel(level: str) -> str:
    """Faust/mode accept crit, error, warn, info, debug (not ``warning``)."""
    level = level.lower()
    return _FAUST_LEVELS.get(level, level)


_SUSPENDABLE = (CoroutineType, AsyncGeneratorType, GeneratorType)


def await_chain(awaitable: Any) -> Iterator[FrameType]:
    """The suspended frames of a coroutine / async generator, outermost first, following each
    ``await`` down to the innermost Python frame. Pure."""
    seen: set[int] = set()
    current = awaitable
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frame = (
            getattr(current, "cr_frame", None)
            or getattr(current, "ag_frame", None)
            or getattr(current, "gi_frame", None)
        )
        if frame is None:
            # ``async for`` awaits an ``async_generator_asend``, ``await obj`` on an object whose
            # ``__await__`` returns ``coro.__await__()`` (Faust's actors) a ``coroutine_wrapper``:
            # neither links to its coroutine publicly; the garbage collector knows it.
            inner = [r for r in gc.get_referents(current) if isinstance(r, _SUSPENDABLE)]
            if not inner:
                return
            current = inner[0]
            continue
        yield frame
        current = (
            getattr(current, "cr_await", None)
            or getattr(current, "ag_await", None)
            or getattr(current, "gi_yieldfrom", None)
        )


def _frame_line(frame: FrameType) -> str:
    return "".join(traceback.format_list(traceback.extract_stack(frame, limit=1))).rstrip()


def format_task_stacks(tasks: Iterable[asyncio.Task[Any]]) -> str:
    """One block per task, sorted by name: its name, state, its await chain (`await_chain`) and
    the future it is suspended on (whose repr names the callbacks that will wake it). Pure: reads
    the tasks, never touches the loop."""
    blocks: list[str] = []
    for task in sorted(tasks, key=lambda t: t.get_name()):
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", None) or repr(coro)
        lines = [f"TASK {task.get_name()} {name} ({'done' if task.done() else 'pending'})"]
        lines.extend(_frame_line(frame) for frame in await_chain(coro))
        waiter = getattr(task, "_fut_waiter", None)  # asyncio's own record of the blocked await
        if waiter is not None:
            lines.append(f"    waiting on {waiter!r}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def format_thread_stacks(frames: Mapping[int, FrameType], names: Mapping[int, str]) -> str:
    """One block per thread (``sys._current_frames()`` and thread names by ident). Pure."""
    blocks: list[str] = []
    for ident, frame in sorted(frames.items(), key=lambda item: names.get(item[0], "")):
        stack = "".join(traceback.format_stack(frame)).rstrip()
        blocks.append(f"THREAD {names.get(ident, '?')} (ident {ident})\n{stack}")
    return "\n".join(blocks)


def dump_stacks(loop: asyncio.AbstractEventLoop | None = None) -> str:
    """Every asyncio task of ``loop`` (default: the running loop) and every thread, formatted.
    Call on the loop's thread."""
    loop = loop or asyncio.get_running_loop()
    names = {t.ident: t.name for t in threading.enumerate() if t.ident is not None}
    parts = [f"=== asyncio tasks ===\n{format_task_stacks(asyncio.all_tasks(loop))}"]
    for thread in threading.enumerate():
        # mode's ServiceThread (Faust's consumer thread) runs its own loop: `thread.service`.
        other = getattr(getattr(thread, "service", None), "thread_loop", None)
        if isinstance(other, asyncio.AbstractEventLoop) and other is not loop:
            # Read from another thread: a snapshot that may be slightly inconsistent, never mutated.
            tasks = format_task_stacks(asyncio.all_tasks(other))
            parts.append(f"=== asyncio tasks of thread {thread.name} ===\n{tasks}")
    parts.append(f"=== threads ===\n{format_thread_stacks(sys._current_frames(), names)}")
    return "\n".join(parts)


def log_stacks(loop: asyncio.AbstractEventLoop, consumer: Any = None) -> None:
    """The SIGUSR1 handler: log `dump_stacks` and, given the Faust ``consumer``, its partitions
    (`pipeline.stall.nudge.describe_partitions`); never raises (the worker keeps running)."""
    from pipeline.stall.nudge import describe_partitions

    try:
        partitions = (
            "" if consumer is None else f"\n=== partitions ===\n{describe_partitions(consumer)}"
        )
        logger.warning(
            "SIGUSR1: stacks of pid %d\n%s%s", os.getpid(), dump_stacks(loop), partitions
        )
    except Exception:
        logger.exception("SIGUSR1: could not dump stacks")


def start_metrics_server(settings: Settings, metrics: Metrics) -> Any:
    """Serve ``/metrics`` for ``metrics.registry`` on a daemon thread; returns the server."""
    from prometheus_client import start_http_server

    w = settings.worker
    server, _thread = start_http_server(
        w.metrics_port, addr=w.metrics_host, registry=metrics.registry
    )
    logger.info("metrics on http://%s:%d/metrics", w.metrics_host, w.metrics_port)
    return server


def bound_stop(worker: Any, deadline: ShutdownDeadline) -> None:
    """Make mode's SIGTERM/SIGINT handlers of `worker` start `deadline` before the graceful
    stop they schedule (set before the handlers are installed, i.e. before it runs)."""
    on_sigterm, on_sigint = worker._on_sigterm, worker._on_sigint

    def sigterm() -> None:
        deadline.start()
        on_sigterm()

    def sigint() -> None:
        deadline.start()
        on_sigint()

    worker._on_sigterm, worker._on_sigint = sigterm, sigint


def unmatched_store(settings: Settings) -> UnmatchedStore | None:
    """The worker's store of unmatched posts for emerging narratives (None when disabled)."""
    from models.signals.emerging import UnmatchedStore

    emerging = settings.signals.emerging
    return UnmatchedStore(emerging.clustering_config()) if emerging.enabled else None


def run_worker(
    settings: Settings,
    *,
    matcher_factory: MatcherFactory | None = None,
    extensions: list[Extension] | None = None,
    scrape_hook: ScrapeHook | None = None,
) -> None:
    """Run a worker until SIGTERM/SIGINT. Blocking; exits the process via `SystemExit` (non-zero
    when the worker crashed). ``scrape_hook`` (if any) is called with the ``/metrics`` address
    once it answers, and undone when the worker exits."""
    import faust

    from pipeline.agents.matcher import load_matcher, warm_up
    from pipeline.elastic.client import make_async_client
    from pipeline.elastic.hits import HitSink
    from pipeline.elastic.schema import prepare_hits_index
    from pipeline.runner import DeadLetterWriter
    from pipeline.topics import ensure_pipeline_topics

    metrics = Metrics()
    metrics.worker.info({"app_id": settings.worker.app_id, "pid": str(os.getpid())})
    # IndexingStalled measures from here until the first bulk write succeeds.
    metrics.index_last_success.set_to_current_time()
    # Faust creates its data directory but not the parents.
    (settings.state_dir / "faust").mkdir(parents=True, exist_ok=True)
    ensure_pipeline_topics(settings)
    matcher = warm_up(
        matcher_factory() if matcher_factory is not None else load_matcher(settings), metrics
    )
    index = prepare_hits_index(settings, matcher.dims)
    app = create_app(settings)
    topics = declare_topics(app, settings)
    deps = WorkerDeps(
        settings=settings,
        metrics=metrics,
        matchers=MatcherHolder(matcher),
        topics=topics,
        index=index,
        # The client binds to the event loop on its first request (inside the worker's loop).
        hit_sink=HitSink(make_async_client(settings), index),
        dead_letters=DeadLetterWriter(topics.dead_letters, metrics),
        model_executor=model_executor(),
        unmatched=unmatched_store(settings),
    )
    install_agents(app, deps, EXTENSIONS if extensions is None else extensions)
    server = start_metrics_server(settings, metrics)
    w = settings.worker
    unregister = scrape_hook(w.metrics_host, w.metrics_port) if scrape_hook else None
    # redirect_stdouts=False: mode's default proxy logs every write() to stderr as its own record,
    # so a traceback came out one token per line.
    worker = faust.Worker(app, loglevel=faust_loglevel(w.log_level), redirect_stdouts=False)
    # mode's Worker maps SIGUSR1 to its own dump (locals included, to stderr); ours is readable.
    worker._on_sigusr1 = lambda: log_stacks(worker.loop, app.consumer)
    deadline = ShutdownDeadline(w.shutdown_grace_s, cleanups=[unregister] if unregister else [])
    bound_stop(worker, deadline)
    try:
        worker.execute_from_commandline()
    finally:
        deadline.cancel()
        if unregister is not None:
            unregister()
        server.shutdown()
        deps.model_executor.shutdown(wait=False, cancel_futures=True)
