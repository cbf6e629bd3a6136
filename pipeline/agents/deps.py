"""What the agents of one worker process share, built ONCE by `pipeline.worker.run_worker`.

`WorkerDeps` is frozen and complete when built: the matcher is already loaded and warmed up, the
hits index exists, the topics are declared. The one thing that changes is WHICH matcher is in
use: `matchers` is a `MatcherHolder` that the live catalog (`pipeline.live_catalog`) swaps when
a new catalog is published; readers take `matchers.current` once per batch. The matcher is only
ever called from the single model thread (`model_executor`): inference is CPU-bound and the
encoder already spreads each call over the cores (the ONNX encoder runs texts on its own pool of at
most ``model.threads`` <= cores threads while the model thread waits; torch uses intra-op
threads), so more model threads would only contend, and the event loop must stay free for Kafka
heartbeats and commits.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from models.matching import Matcher
from pipeline.elastic.hits import HitSink
from pipeline.live_catalog.holder import MatcherHolder
from pipeline.metrics import Metrics
from pipeline.runner import DeadLetterWriter, RetryPolicy
from pipeline.settings import Settings

if TYPE_CHECKING:
    from models.signals.emerging import UnmatchedStore


@dataclass(frozen=True)
class PipelineTopics:
    """The Faust topic objects (raw bytes in and out)."""

    posts: Any
    hits: Any
    dead_letters: Any


@dataclass(frozen=True)
class WorkerDeps:
    """Everything an agent or extension of the worker needs. `hit_sink` writes to the write
    alias `index`; it is closed by the indexer agent when the agent stops."""

    settings: Settings
    metrics: Metrics
    matchers: MatcherHolder
    topics: PipelineTopics
    index: str
    hit_sink: HitSink
    dead_letters: DeadLetterWriter
    model_executor: ThreadPoolExecutor
    unmatched: UnmatchedStore | None = None
    """Posts that matched no narrative, for emerging-narrative clustering (`pipeline.signals`);
    None: not kept."""

    @property
    def matcher(self) -> Matcher:
        """The matcher in use now (it changes when a new catalog is published)."""
        return self.matchers.current

    @property
    def retry(self) -> RetryPolicy:
        """The backoff for steps that fail transiently (``worker.index_backoff_*``)."""
        w = self.settings.worker
        return RetryPolicy(base_s=w.index_backoff_base_s, cap_s=w.index_backoff_cap_s)


def model_executor() -> ThreadPoolExecutor:
    """The worker's single model thread."""
    return ThreadPoolExecutor(1, thread_name_prefix="narrmon-model")
