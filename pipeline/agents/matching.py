"""The matching agent: `posts` -> parse (`intake.parse_post`) -> `MatchStep` -> `hits` (+ dlq).

The loop, acknowledgements, dead letters and retries are the batch runner's (`pipeline.runner`,
whose docstring states the at-least-once contract); this module declares the agent and holds the
step, which can be called from a REPL with a matcher and a list of `Record`s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from functools import partial
from typing import Any

from models.matching import Matcher, MatchResult
from models.matching.query import claim_read_date
from models.records import Post, Targeting
from pipeline.agents.deps import WorkerDeps
from pipeline.agents.hits import build_hits, stance_label
from pipeline.agents.intake import UNKNOWN_SOURCE, parse_post
from pipeline.agents.recent_ids import RecentIds
from pipeline.agents.threat import ThreatAssessor
from pipeline.errors import WorkerFatalError
from pipeline.live_catalog.holder import MatcherHolder
from pipeline.metrics import Metrics
from pipeline.runner import BatchRunner, Output, Record, StepResult
from pipeline.signals.screening import PostScreen

logger = logging.getLogger(__name__)


class MatchStep:
    """Embed and match a batch of posts; one `Output` (a JSON `Hit` keyed by hit id) per hit.

    Every hit gets its threat score (`ThreatAssessor`). Counts ``narrmon_posts_processed``,
    ``narrmon_hits``, ``narrmon_hit_score``, ``narrmon_threat_hits``, the batch size and the
    matcher's embed / match seconds; a hit id among the `counted` recent ones (a redelivered
    post) is sent again but not counted again in ``narrmon_hits`` / ``narrmon_hit_score``.
    `screen` (`pipeline.signals.screening`) adds the targeting blocks and synthetic
    ``targeting`` hits and keeps unmatched posts (default: a targeting screen and no store).
    With a `MatcherHolder`, the matcher in use is read once per batch (a catalog switch lands
    between batches, `pipeline.live_catalog`). Raises what the matcher raises."""

    def __init__(
        self,
        matcher: Matcher | MatcherHolder,
        metrics: Metrics,
        executor: Executor,
        *,
        counted: RecentIds | None = None,
        screen: PostScreen | None = None,
        threat: ThreatAssessor | None = None,
    ) -> None:
        self.matchers = matcher if isinstance(matcher, MatcherHolder) else MatcherHolder(matcher)
        self.metrics = metrics
        self.executor = executor
        self.counted = counted if counted is not None else RecentIds()
        self.screen = screen if screen is not None else PostScreen(metrics)
        self.threat = threat or ThreatAssessor(metrics)

    @property
    def matcher(self) -> Matcher:
        return self.matchers.current

    async def __call__(self, batch: Sequence[Record[Post]]) -> StepResult[Post]:
        posts = [record.value for record in batch]
        started = time.perf_counter()
        matcher = self.matchers.current
        results, screens = await self.match_and_screen(posts, matcher)
        self._observe_timings(results, time.perf_counter() - started, len(posts))
        screened = self.screen.apply(
            build_hits(posts, results),
            results,
            screens,
            model_id=matcher.model_id,
            catalog_version=matcher.catalog_version,
        )
        outputs: list[Output] = []
        for matched in screened:
            for hit in self.threat.score(matched.hits):
                outputs.append(
                    Output(hit.id.encode("utf-8"), hit.model_dump_json().encode("utf-8"))
                )
                if not self.counted.first_time(hit.id):
                    continue
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

    async def match(
        self, posts: Sequence[Post], matcher: Matcher | None = None
    ) -> Sequence[MatchResult]:
        """The matcher's results for `posts` (see `match_and_screen`)."""
        results, _ = await self.match_and_screen(posts, matcher)
        return results

    async def match_and_screen(
        self, posts: Sequence[Post], matcher: Matcher | None = None
    ) -> tuple[Sequence[MatchResult], list[Targeting | None]]:
        """Match (with `matcher`, default: the one in use) and screen `posts` in one call on the
        model thread, passing each post's date (`models.matching.query.claim_read_date`: a quoted
        tweet's, else `created_at`'s) so the re-ranker's date features
        (`models.matching.rerank`) work in the live path. Does not block the event loop. Raises
        `WorkerFatalError` when the model thread is gone (nothing any record did), else what the
        matcher or the screen raises."""
        texts = [post.text for post in posts]
        dates = [claim_read_date(post.text, post.created_at.date()) for post in posts]
        use = matcher or self.matchers.current

        def run() -> tuple[Sequence[MatchResult], list[Targeting | None]]:
            results = use.match(texts, dates=dates)
            embeddings = [result.embedding for result in results]
            with_hits = [bool(result.matches) for result in results]
            return results, self.screen.screen_texts(texts, embeddings, with_hits)

        loop = asyncio.get_running_loop()
        try:
            pending = loop.run_in_executor(self.executor, run)
        except RuntimeError as exc:  # "cannot schedule new futures after shutdown"
            raise WorkerFatalError(f"the model thread cannot take work: {exc}") from exc
        return await pending

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


def post_screen(deps: WorkerDeps) -> PostScreen:
    """The match step's screen from ``settings.signals`` and the worker's unmatched store."""
    targeting = deps.settings.signals.targeting
    classifier = None
    if deps.settings.model.path and targeting.method == "classifier":
        logger.warning("targeting: the classifier was fit on the packaged model's embeddings; "
                       "model.path is set, so the screen uses the patterns alone")  # fmt: skip
    elif targeting.enabled and targeting.method == "classifier":
        from models.signals.targeting_classifier import DEFAULT_CLASSIFIER, load_classifier

        classifier = load_classifier(targeting.classifier_path or DEFAULT_CLASSIFIER)
    return PostScreen(
        deps.metrics,
        targeting=targeting.enabled,
        max_evidence=targeting.max_evidence,
        unmatched=deps.unmatched,
        classifier=classifier,
    )


def register_matching_agent(app: Any, deps: WorkerDeps) -> Any:
    """Attach the matching agent to ``app``; returns the agent."""
    worker = deps.settings.worker
    runner = BatchRunner(
        name="matching",
        parse=partial(parse_post, max_post_chars=worker.max_post_chars),
        step=MatchStep(deps.matchers, deps.metrics, deps.model_executor, screen=post_screen(deps)),
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
