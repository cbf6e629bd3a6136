"""Spike detection: pure logic, no broker, no clock of its own.

**The rule.** Hits are counted per *key* in 1-minute tumbling windows, where a key is a narrative
and, when ``spikes.by_platform`` is on, also each narrative x platform pair. Each key has a
baseline: an exponentially weighted moving average (EWMA) of its per-minute hit counts and their
variance, half-life ``spikes.baseline_half_life_min`` minutes (60 by default); minutes with no hits
count as zeros. When a minute closes, it is a **spike** if all three hold, with thresholds chosen
by the narrative's severity (``spikes.low|medium|high|critical``):

1. volume: ``count >= min_volume`` (default 20/15/10/5 for low/medium/high/critical);
2. breadth: ``distinct_authors >= min_authors`` (8/6/4/3), so one account flooding never
   triggers; posts without an author id all count as one author;
3. significance: ``z = (count - mean) / sd >= min_z`` (4/4/3.5/3), where
   ``sd = sqrt(max(var, mean, variance_floor))``: the EWMA variance, but never less than the
   Poisson variance (= mean) nor ``variance_floor`` (1.0), so a quiet narrative with a zero
   baseline does not turn every handful of hits into an infinite z.

A key needs ``spikes.warmup_min`` minutes (10) of baseline before it can spike; a key first seen
after the detector started has a zero baseline from the detector's start (so right after a fresh
deployment nothing spikes for ten minutes, and busy narratives learn their level first, while a
brand-new narrative bursting later is judged against zeros). After a spike, the key is silent
for ``spikes.cooldown_min`` minutes (15): a burst that lasts several minutes is reported once.
The minute is folded into the baseline after it is judged, so a sustained new level slowly
becomes the normal.

**Windows other than a minute.** ``spikes.window_s`` (60) sets the window length; "minute" above
means one window. Settings stay in real minutes whatever the window: the half-life, warm-up and
cooldown are converted to windows (a 5 s window with a 60 min half-life has a 720-window
half-life), and the rate gauges are scaled to hits per minute (`per_minute`).

**Time.** Callers pass timestamps (the agent uses the hit's ``matched_at``). A window closes when
`close_due` is called with ``now >= window_end + grace_s``. A hit for a minute that has already
closed for its key is counted in the key's earliest open minute instead of being dropped.

Baseline state is a JSON-able dict per key kept in any ``MutableMapping[str, dict]`` (a Faust
table in the worker, a dict in tests), so it survives restarts through the table's changelog.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from models.records import Hit, Severity
from pipeline.settings import SpikeSettings, SpikeThresholds
from pipeline.spikes.baseline import (
    Baseline,
    Verdict,
    ewma_alpha,
    judge,
)
from pipeline.spikes.records import AuthorCount, Spike, SpikeExample

logger = logging.getLogger(__name__)

UNKNOWN_AUTHOR = "(unknown)"

_MAX_FOLD_S = 24 * 3600
"""Empty windows are folded one by one for at most a day; beyond that the baseline is zero."""


@dataclass
class _Window:
    """Hits of one key in one open minute."""

    narrative_id: str
    title: str
    severity: Severity
    platform: str | None
    minute: int
    count: int = 0
    authors: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[float, int, SpikeExample]] = field(default_factory=list)


@dataclass(frozen=True)
class WindowResult:
    """One closed minute of one key: what the gauges show, and the spike if it was one."""

    key: str
    narrative_id: str
    severity: Severity
    platform: str | None
    minute: int
    count: int
    distinct_authors: int
    baseline: float
    z: float
    spike: Spike | None


def _author_of(hit: Hit) -> str:
    author = hit.post.author
    return author.id or author.handle or UNKNOWN_AUTHOR


def narrative_key(narrative_id: str, platform: str | None = None) -> str:
    return narrative_id if platform is None else f"{narrative_id}|{platform}"


class SpikeDetector:
    """Counts hits per key and minute and judges each minute when it closes.

    Not thread-safe; one detector per worker, driven by one agent. `baselines` is the store for
    per-key EWMA state (written each time a key's minute closes).
    """

    def __init__(
        self,
        settings: SpikeSettings,
        baselines: MutableMapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.settings = settings
        self.baselines: MutableMapping[str, dict[str, Any]] = (
            baselines if baselines is not None else {}
        )
        per_minute = 60.0 / settings.window_s
        # The EWMA folds one window at a time; its half-life and the warm-up are in minutes.
        self._alpha = ewma_alpha(settings.baseline_half_life_min * per_minute)
        self._warmup_windows = math.ceil(settings.warmup_min * per_minute)
        self._max_fold = max(1, _MAX_FOLD_S // settings.window_s)
        self._open: dict[tuple[str, int], _Window] = {}
        self._known: dict[str, tuple[str, Severity, str | None]] = {}
        self._closed_through: int | None = None
        self._start_minute: int | None = None

    def minute_of(self, at: datetime) -> int:
        """The window number of `at` (epoch seconds // ``window_s``: a minute by default)."""
        return int(at.timestamp()) // self.settings.window_s

    @property
    def per_minute(self) -> float:
        """Factor from hits per window to hits per minute (1.0 for the default 60 s window)."""
        return 60.0 / self.settings.window_s

    def _started(self, minute: int) -> int:
        if self._start_minute is None:
            self._start_minute = minute
        return self._start_minute

    def _baseline(self, key: str) -> Baseline:
        """Stored state of `key`, or a zero baseline running since the detector started."""
        stored = self.baselines.get(key)
        if stored:
            return Baseline.from_dict(stored)
        start = self._start_minute if self._start_minute is not None else 0
        return Baseline(last_minute=start - 1)

    def observe(self, hit: Hit, at: datetime | None = None) -> None:
        """Count `hit` (at `at`, default its ``matched_at``) in its key(s)' open minute."""
        minute = self.minute_of(at or hit.matched_at)
        self._started(minute)
        platforms: list[str | None] = [None]
        if self.settings.by_platform:
            platforms.append(hit.post.platform)
        for platform in platforms:
            key = narrative_key(hit.narrative.id, platform)
            self._known[key] = (hit.narrative.id, hit.narrative.severity, platform)
            window_minute = self._open_minute_for(key, minute)
            window = self._open.get((key, window_minute))
            if window is None:
                window = _Window(
                    hit.narrative.id,
                    hit.narrative.title,
                    hit.narrative.severity,
                    platform,
                    window_minute,
                )
                self._open[(key, window_minute)] = window
            self._add(window, hit)

    def _open_minute_for(self, key: str, minute: int) -> int:
        """The minute a hit at `minute` counts in: itself, or the first still-open one if late."""
        last = self._baseline(key).last_minute
        closed = [x for x in (last, self._closed_through) if x is not None]
        if closed and minute <= max(closed):
            return max(closed) + 1
        return minute

    def _add(self, window: _Window, hit: Hit) -> None:
        window.count += 1
        window.authors[_author_of(hit)] += 1
        if self.settings.max_examples <= 0:
            return
        example = SpikeExample(
            post_id=hit.post.id,
            platform=hit.post.platform,
            author=_author_of(hit),
            text=hit.post.text[:280],
            url=hit.post.url,
            score=hit.scores.combined,
        )
        entry = (hit.scores.combined, -window.count, example)
        if len(window.examples) < self.settings.max_examples:
            heapq.heappush(window.examples, entry)
        else:
            heapq.heappushpop(window.examples, entry)

    def close_due(self, now: datetime) -> list[WindowResult]:
        """Close every minute that ended at least ``grace_s`` before `now`.

        Returns one result per known key and closed minute (zero-count minutes included, so gauges
        fall back to 0), in minute order. Spikes are the results whose ``spike`` is set.
        """
        last_complete = (int(now.timestamp() - self.settings.grace_s) // self.settings.window_s) - 1
        self._started(last_complete + 1)
        if self._closed_through is not None and last_complete <= self._closed_through:
            return []
        results: list[WindowResult] = []
        due = sorted((m, k) for (k, m) in self._open if m <= last_complete)
        for minute, key in due:
            results.append(self._close(self._open.pop((key, minute))))
        closed_keys = {r.key for r in results}
        for key, (narrative_id, severity, platform) in self._known.items():
            if key in closed_keys or key not in self.baselines:
                continue
            results.append(self._close_empty(key, narrative_id, severity, platform, last_complete))
        self._closed_through = last_complete
        return results

    def _close(self, window: _Window) -> WindowResult:
        key = narrative_key(window.narrative_id, window.platform)
        baseline = self._baseline(key)
        baseline.advance_to(window.minute, self._alpha, self._max_fold)
        warm = baseline.minutes >= self._warmup_windows
        thresholds = self.settings.thresholds(window.severity)
        verdict = judge(
            window.count, len(window.authors), baseline, thresholds, self.settings.variance_floor
        )
        in_cooldown = (
            baseline.last_spike_minute is not None
            and (window.minute - baseline.last_spike_minute) * self.settings.window_s
            < self.settings.cooldown_min * 60
        )
        spike = None
        if verdict.is_spike and warm and not in_cooldown:
            spike = self._spike(window, key, baseline, verdict, thresholds)
            baseline.last_spike_minute = window.minute
            logger.info(
                "spike narrative=%s platform=%s minute=%d count=%d authors=%d z=%.1f",
                window.narrative_id,
                window.platform,
                window.minute,
                window.count,
                len(window.authors),
                verdict.z,
            )
        before = baseline.mean
        baseline.fold(float(window.count), self._alpha)
        baseline.last_minute = window.minute
        self.baselines[key] = baseline.to_dict()
        return WindowResult(
            key,
            window.narrative_id,
            window.severity,
            window.platform,
            window.minute,
            window.count,
            len(window.authors),
            before,
            verdict.z,
            spike,
        )

    def _close_empty(
        self,
        key: str,
        narrative_id: str,
        severity: Severity,
        platform: str | None,
        minute: int,
    ) -> WindowResult:
        baseline = self._baseline(key)
        if baseline.last_minute is not None and baseline.last_minute < minute:
            baseline.advance_to(minute + 1, self._alpha, self._max_fold)
            baseline.last_minute = minute
            self.baselines[key] = baseline.to_dict()
        sd = math.sqrt(max(baseline.var, baseline.mean, self.settings.variance_floor))
        return WindowResult(
            key,
            narrative_id,
            severity,
            platform,
            minute,
            0,
            0,
            baseline.mean,
            -baseline.mean / sd,
            None,
        )

    def _spike(
        self,
        window: _Window,
        key: str,
        baseline: Baseline,
        verdict: Verdict,
        thresholds: SpikeThresholds,
    ) -> Spike:
        start = datetime.fromtimestamp(window.minute * self.settings.window_s, UTC)
        end = datetime.fromtimestamp((window.minute + 1) * self.settings.window_s, UTC)
        examples = [e for _, _, e in sorted(window.examples, key=lambda x: (-x[0], -x[1]))]
        return Spike(
            id=Spike.make_id(key, start),
            narrative_id=window.narrative_id,
            narrative_title=window.title,
            severity=window.severity,
            platform=window.platform,
            window_start=start,
            window_end=end,
            count=window.count,
            distinct_authors=len(window.authors),
            baseline=baseline.mean,
            baseline_sd=verdict.sd,
            z=verdict.z,
            min_volume=thresholds.min_volume,
            min_authors=thresholds.min_authors,
            min_z=thresholds.min_z,
            top_authors=tuple(
                AuthorCount(author=a, posts=n) for a, n in window.authors.most_common(5)
            ),
            examples=tuple(examples),
        )
