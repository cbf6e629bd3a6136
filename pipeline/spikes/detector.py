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
closed for its narrative is counted in the narrative's earliest open minute instead of being
dropped.

**State and duplicates.** All state of a narrative is one `pipeline.spikes.state.NarrativeState`
kept in any ``MutableMapping[str, dict]`` keyed by narrative id (a Faust table in the worker, a
dict in tests): `observe` and `close_due` change cached copies, `flush` writes the changed ones
back. A hit is counted once: a record read again from the same partition at or below the last
applied offset is skipped (exact, whatever the volume: the restart of the spike agent's own
consumer), and so is a hit whose id is among the narrative's last ``dedupe_hits`` ids (a hit
produced twice upstream, e.g. after the matching or repartition step was redelivered; bounded).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from models.records import Hit
from pipeline.settings import SpikeSettings
from pipeline.spikes.baseline import Baseline
from pipeline.spikes.closing import WindowResult, WindowRule
from pipeline.spikes.records import SpikeExample
from pipeline.spikes.state import KeyState, NarrativeState, Window, may_close

__all__ = ["SpikeDetector", "WindowResult", "narrative_key"]

UNKNOWN_AUTHOR = "(unknown)"


def _author_of(hit: Hit) -> str:
    author = hit.post.author
    return author.id or author.handle or UNKNOWN_AUTHOR


def narrative_key(narrative_id: str, platform: str | None = None) -> str:
    return narrative_id if platform is None else f"{narrative_id}|{platform}"


class SpikeDetector:
    """Counts hits per key and window and judges each window when it closes.

    Not thread-safe; one detector per worker, driven by one agent. `states` is the store of
    `NarrativeState` dicts by narrative id; changes stay in a cache until `flush`.
    """

    def __init__(
        self,
        settings: SpikeSettings,
        states: MutableMapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.settings = settings
        self.states: MutableMapping[str, dict[str, Any]] = states if states is not None else {}
        self._rule = WindowRule(settings)
        self._cache: dict[str, NarrativeState] = {}
        self._dirty: set[str] = set()
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

    def state(self, narrative_id: str) -> NarrativeState | None:
        """The narrative's current state (changes not yet flushed included), or None."""
        cached = self._cache.get(narrative_id)
        if cached is None:
            stored = self.states.get(narrative_id)
            if not stored:
                return None
            cached = self._cache[narrative_id] = NarrativeState.from_dict(stored)
        return cached

    def baseline(self, key: str) -> Baseline | None:
        """The stored baseline of `key` (a narrative id, or ``narrative|platform``), if any."""
        state = self.state(key.split("|", 1)[0])
        keyed = state.keys.get(key) if state is not None else None
        return keyed.baseline if keyed is not None else None

    def flush(self) -> list[str]:
        """Write every changed state back to the store and empty the cache (the store is the
        truth between batches: after a rebalance it holds what the changelog restored). Returns
        the narrative ids written."""
        written = sorted(self._dirty)
        for narrative_id in written:
            self.states[narrative_id] = self._cache[narrative_id].to_dict()
        self._dirty.clear()
        self._cache.clear()
        return written

    def observe(
        self,
        hit: Hit,
        at: datetime | None = None,
        *,
        partition: int | None = None,
        offset: int | None = None,
    ) -> bool:
        """Count `hit` (at `at`, default its ``matched_at``) in its keys' open window; `partition`
        and `offset` say where its record was read. Returns False, counting nothing, for a hit
        already counted (see the module docstring)."""
        minute = self.minute_of(at or hit.matched_at)
        since = self._started(minute)
        narrative = hit.narrative
        state = self.state(narrative.id)
        if state is None:
            state = NarrativeState(narrative.id, narrative.title, narrative.severity, since)
            self._cache[narrative.id] = state
        if partition is not None and offset is not None:
            if partition == state.partition and offset <= state.offset:
                return False
            state.partition, state.offset = partition, offset
        if state.seen(hit.id):
            self._dirty.add(narrative.id)  # the offset moved on
            return False
        state.remember(hit.id, self.settings.dedupe_hits)
        state.title, state.severity = narrative.title, narrative.severity
        platforms: list[str | None] = [None]
        if self.settings.by_platform:
            platforms.append(hit.post.platform)
        example = SpikeExample(
            post_id=hit.post.id,
            platform=hit.post.platform,
            author=_author_of(hit),
            text=hit.post.text[:280],
            url=hit.post.url,
            score=hit.scores.combined,
        )
        for platform in platforms:
            keyed = state.keys.setdefault(narrative_key(narrative.id, platform), KeyState(platform))
            window_minute = self._open_minute_for(state, keyed, minute)
            window = keyed.open.setdefault(window_minute, Window(window_minute))
            window.add(example.author, example, self.settings.max_examples)
        self._dirty.add(narrative.id)
        return True

    def _open_minute_for(self, state: NarrativeState, keyed: KeyState, minute: int) -> int:
        """The minute a hit at `minute` counts in: itself, or the first still-open one if late."""
        last = keyed.baseline.last_minute if keyed.baseline is not None else None
        closed = [x for x in (last, state.closed_through) if x is not None]
        if closed and minute <= max(closed):
            return max(closed) + 1
        return minute

    def close_due(self, now: datetime, *, partition: int | None = None) -> list[WindowResult]:
        """Close every window that ended at least ``grace_s`` before `now`, of the narratives
        whose records come from `partition` (None: all).

        Returns one result per known key and closed window (zero-count windows included, so
        gauges fall back to 0), in window order per narrative. Spikes are the results whose
        ``spike`` is set.
        """
        last_complete = (int(now.timestamp() - self.settings.grace_s) // self.settings.window_s) - 1
        self._started(last_complete + 1)
        results: list[WindowResult] = []
        candidates = set(self._cache) | {
            narrative_id
            for narrative_id, value in self.states.items()
            if value and may_close(value, partition, last_complete)
        }
        for narrative_id in sorted(candidates):
            state = self.state(narrative_id)
            if state is None or (partition is not None and state.partition != partition):
                continue
            if state.closed_through is not None and last_complete <= state.closed_through:
                continue
            results += self._rule.close_narrative(state, last_complete)
            self._dirty.add(narrative_id)
        return results
