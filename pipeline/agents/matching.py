"""The matching agent: `posts` -> parse (`intake.parse_post`) -> `MatchStep` -> `hits` (+ dlq).

The loop, acknowledgements, dead letters and retries are the batch runner's (`pipeline.runner`,
whose docstring states the at-least-once contract); this module declares the agent and holds the
step, which can be called from a REPL with a matcher and a list of `Record`s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from functools import partial
from typing import Any

from models.matching import Matcher, MatchResult
from models.records import Post
from pipeline.agents.deps import WorkerDeps
from pipeline.agents.hits import build_hits, stance_label
from pipeline.agents.intake import UNKNOWN_SOURCE, parse_post
from pipeline.agents.threat import ThreatAssessor
from pipeline.metrics import Metrics
from pipeline.runner import BatchRunner, Output, Record, StepResult


class MatchStep:
    """Embed and match a batch of posts; one `Output` (a JSON `Hit` keyed by hit id) per hit.

    Every hit gets its threat score (`ThreatAssessor`). Counts ``narrmon_posts_processed``,
    ``narrmon_hits``, ``narrmon_hit_score``, ``narrmon_threat_hits``, the batch size and the
    matcher's embed / match seconds. Raises what the matcher raises."""

    def __init__(
        self,
        matcher: Matcher,
        metrics: Metrics,
        executor: Executor,
        threat: ThreatAssessor | None = None,
    ) -> None:
        self.matcher = matcher
        self.metrics = metrics
        self.executor = executor
        self.threat = threat or ThreatAssessor(metrics)

    async def __call__(self, batch: Sequence[Record[Post]]) -> StepResult[Post]:
        posts = [record.value for record in batch]
        started = time.perf_counter()
        results = await self.match(posts)
        self._observe_timings(results, time.perf_counter() - started, len(posts))
        outputs: list[Output] = []
        for matched in build_hits(posts, results):
            for hit in self.threat.score(matched.hits):
                outputs.append(
                    Output(hit.id.encode("utf-8"), hit.model_dump_json().encode("utf-8"))
                )
                self.metrics.hits.labels(
                    narrative=hit.narrative.id,
                    severity=hit.narrative.severity,
                    platform=hit.post.platform,
                    stance=stance_label(hit),
                ).inc()
                self.metrics.hit_score.labels(
                    narrative=hit.narrative.id,
                    severity=hit.narrative.severity,
                    stance=stance_label(hit),
                ).observe(hit.scores.combined)
            self.metrics.posts_processed.labels(
                platform=matched.post.platform, outcome=matched.outcome
            ).inc()
        return StepResult(outputs=outputs)

    async def match(self, posts: Sequence[Post]) -> Sequence[MatchResult]:
        """Match `posts` on the model thread, passing each post's `created_at` date so the
        re-ranker's date features (`models.matching.rerank`) work in the live path. Does not
        block the event loop."""
        texts = [post.text for post in posts]
        dates = [post.created_at.date() for post in posts]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, lambda: self.matcher.match(texts, dates=dates)
        )

    def _observe_timings(self, results: Sequence[MatchResult], elapsed_s: float, size: int) -> None:
        self.metrics.batch_size.observe(size)
        embed_s = sum(result.embed_seconds for result in results)
        match_s = sum(result.match_seconds for result in results)
        if embed_s == 0.0 and match_s == 0.0:
            embed_s = elapsed_s  # a matcher that reports no split: attribute it all to embedding
        self.metrics.embed_seconds.observe(embed_s)
        self.metrics.match_seconds.observe(match_s)


def count_consumed(metrics: Metrics) -> Callable[[Post | None], None]:
    """``narrmon_posts_consumed`` by platform (``unknown`` for a refused record)."""

    def count(post: Post | None) -> None:
        metrics.posts_consumed.labels(platform=post.platform if post else UNKNOWN_SOURCE).inc()

    return count


def register_matching_agent(app: Any, deps: WorkerDeps) -> Any:
    """Attach the matching agent to ``app``; returns the agent."""
    worker = deps.settings.worker
    runner = BatchRunner(
        name="matching",
        parse=partial(parse_post, max_post_chars=worker.max_post_chars),
        step=MatchStep(deps.matcher, deps.metrics, deps.model_executor),
        dead_letters=deps.dead_letters,
        source=UNKNOWN_SOURCE,
        output=deps.topics.hits,
        retry=deps.retry,
        on_consumed=count_consumed(deps.metrics),
    )

    @app.agent(deps.topics.posts, name="narrmon.match", concurrency=1)  # type: ignore[untyped-decorator]
    async def match_posts(stream: Any) -> None:
        await runner.run(app, stream, batch_size=worker.batch_size, within_s=worker.batch_within_s)

    return match_posts
