"""The `Spike` event: what the spike detector publishes to ``narrative.spikes`` and indexes.

JSON on the wire (``Spike.model_dump_json()``); `Tick` is the clock event on the narrative-keyed
hits topic. `id` is deterministic, ``{key}:{window_start}``
(key is the narrative id, or ``narrative|platform``), so a replayed minute overwrites rather than
duplicates its alert document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.records import Severity, UtcDatetime, utc_now

SPIKE_SCHEMA_VERSION: Literal[1] = 1


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SpikeExample(_Record):
    """One post of the spiking minute, for the reviewer to open first."""

    post_id: str
    platform: str
    author: str
    text: str = Field(description="At most 280 characters of the post text.")
    url: str | None = None
    score: float


class AuthorCount(_Record):
    author: str
    posts: int


class Spike(_Record):
    """A statistically significant, multi-author rise of one narrative in one minute."""

    schema_version: Literal[1] = SPIKE_SCHEMA_VERSION
    id: str
    narrative_id: str
    narrative_title: str
    severity: Severity
    platform: str | None = Field(default=None, description="None: across all platforms.")
    window_start: UtcDatetime
    window_end: UtcDatetime
    count: int
    distinct_authors: int
    baseline: float = Field(
        description="EWMA hits per window (a minute by default) before this window."
    )
    baseline_sd: float = Field(description="Standard deviation used for z (floored).")
    z: float
    min_volume: int
    min_authors: int
    min_z: float
    top_authors: tuple[AuthorCount, ...] = ()
    examples: tuple[SpikeExample, ...] = ()
    detected_at: UtcDatetime = Field(default_factory=utc_now)

    @staticmethod
    def make_id(key: str, window_start: datetime) -> str:
        return f"{key}:{window_start.strftime('%Y-%m-%dT%H:%M:%SZ')}"


class Tick(_Record):
    """A clock event on ``hits.by-narrative``: the worker that owns the partition closes the
    windows of its narratives that ended ``spikes.grace_s`` before `at` when it reads it, so
    closing happens inside the stream (state written to the right changelog partition, offsets
    acknowledged after it). Every worker sends one to each partition it owns every few seconds."""

    kind: Literal["tick"] = "tick"
    at: UtcDatetime
