"""Closing a narrative's windows: judge each closed window, fold it into the baseline. Pure.

The rule itself is documented in `pipeline.spikes.detector`; `WindowRule` applies it to one
`pipeline.spikes.state.NarrativeState` at a time.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from models.records import Severity
from pipeline.settings import SpikeSettings, SpikeThresholds
from pipeline.spikes.baseline import Baseline, Verdict, ewma_alpha, judge
from pipeline.spikes.records import AuthorCount, Spike
from pipeline.spikes.state import KeyState, NarrativeState, Window

logger = logging.getLogger(__name__)

_MAX_FOLD_S = 24 * 3600
"""Empty windows are folded one by one for at most a day; beyond that the baseline is zero."""


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


class WindowRule:
    """The spike rule for one `SpikeSettings`, with its per-window constants."""

    def __init__(self, settings: SpikeSettings) -> None:
        self.settings = settings
        per_minute = 60.0 / settings.window_s
        # The EWMA folds one window at a time; its half-life and the warm-up are in minutes.
        self._alpha = ewma_alpha(settings.baseline_half_life_min * per_minute)
        self._warmup_windows = math.ceil(settings.warmup_min * per_minute)
        self._max_fold = max(1, _MAX_FOLD_S // settings.window_s)

    def close_narrative(self, state: NarrativeState, last_complete: int) -> list[WindowResult]:
        """Close `state`'s windows up to `last_complete` (changing `state`); one result per
        key and closed window, the keys without hits in it included once baselines exist."""
        results: list[WindowResult] = []
        due = sorted(
            (minute, key)
            for key, keyed in state.keys.items()
            for minute in keyed.open
            if minute <= last_complete
        )
        for minute, key in due:
            keyed = state.keys[key]
            results.append(self._close(state, key, keyed, keyed.open.pop(minute)))
        closed_keys = {r.key for r in results}
        for key, keyed in state.keys.items():
            if key in closed_keys or keyed.baseline is None:
                continue
            results.append(self._close_empty(state, key, keyed, last_complete))
        state.closed_through = last_complete
        return results

    def _baseline(self, state: NarrativeState, keyed: KeyState) -> Baseline:
        """Stored baseline of a key, or a zero baseline running since the narrative's ``since``."""
        if keyed.baseline is not None:
            return keyed.baseline
        return Baseline(last_minute=state.since - 1)

    def _close(
        self, state: NarrativeState, key: str, keyed: KeyState, window: Window
    ) -> WindowResult:
        baseline = self._baseline(state, keyed)
        baseline.advance_to(window.minute, self._alpha, self._max_fold)
        warm = baseline.minutes >= self._warmup_windows
        thresholds = self.settings.thresholds(state.severity)
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
            spike = self._spike(state, key, keyed.platform, window, baseline, verdict, thresholds)
            baseline.last_spike_minute = window.minute
            logger.info(
                "spike narrative=%s platform=%s minute=%d count=%d authors=%d z=%.1f",
                state.narrative_id,
                keyed.platform,
                window.minute,
                window.count,
                len(window.authors),
                verdict.z,
            )
        before = baseline.mean
        baseline.fold(float(window.count), self._alpha)
        baseline.last_minute = window.minute
        keyed.baseline = baseline
        return WindowResult(
            key,
            state.narrative_id,
            state.severity,
            keyed.platform,
            window.minute,
            window.count,
            len(window.authors),
            before,
            verdict.z,
            spike,
        )

    def _close_empty(
        self, state: NarrativeState, key: str, keyed: KeyState, minute: int
    ) -> WindowResult:
        baseline = self._baseline(state, keyed)
        if baseline.last_minute is not None and baseline.last_minute < minute:
            baseline.advance_to(minute + 1, self._alpha, self._max_fold)
            baseline.last_minute = minute
            keyed.baseline = baseline
        sd = math.sqrt(max(baseline.var, baseline.mean, self.settings.variance_floor))
        return WindowResult(
            key,
            state.narrative_id,
            state.severity,
            keyed.platform,
            minute,
            0,
            0,
            baseline.mean,
            -baseline.mean / sd,
            None,
        )

    def _spike(  # noqa: PLR0917 (everything a Spike record is made of)
        self,
        state: NarrativeState,
        key: str,
        platform: str | None,
        window: Window,
        baseline: Baseline,
        verdict: Verdict,
        thresholds: SpikeThresholds,
    ) -> Spike:
        start = datetime.fromtimestamp(window.minute * self.settings.window_s, UTC)
        end = datetime.fromtimestamp((window.minute + 1) * self.settings.window_s, UTC)
        return Spike(
            id=Spike.make_id(key, start),
            narrative_id=state.narrative_id,
            narrative_title=state.title,
            severity=state.severity,
            platform=platform,
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
            examples=tuple(window.best_examples()),
        )
