"""Settings of the signals beyond the catalog (``NARRMON_SIGNALS__*``): targeting of election
workers, coordinated posting, emerging narratives. A group of `pipeline.settings.Settings`
(``settings.signals``), kept in its own module; defaults are the ones measured in
``models/README.md`` (signals section)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # the detectors import datasketch / numpy: not at settings time
    from models.signals.coordination import CoordinationConfig
    from models.signals.emerging import EmergingConfig


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TargetingSettings(_Group):
    """The targeting screen the match step runs on every post (`pipeline.signals.targeting`):
    ``classifier`` (default) flags from the learnt probability over the post's embedding
    (`models.signals.targeting_classifier`), ``patterns`` from the regular expressions alone."""

    enabled: bool = True
    max_evidence: int = Field(default=20, ge=0, description="Evidence spans kept per hit.")
    method: Literal["classifier", "patterns"] = "classifier"
    classifier_path: Path | None = Field(
        default=None, description="Classifier JSON (default: the shipped one)."
    )


class CoordinationSettings(_Group):
    """Coordinated posting (`pipeline.signals.coordination`): a group is N+ accounts
    (`min_accounts`) posting near-duplicates within M minutes (`window_min`) of each other;
    the ``CoordinatedPosting`` alert fires on every new group."""

    enabled: bool = True
    min_accounts: int = Field(default=3, ge=2, description="N: distinct accounts in a group.")
    window_min: float = Field(default=30.0, gt=0, description="M: minutes posts are compared.")
    threshold: float = Field(
        default=0.55, gt=0, le=1, description="Estimated Jaccard of two posts' 6-gram shingles."
    )
    max_posts: int = Field(default=50_000, ge=1, description="Posts held in the LSH index.")
    boilerplate_count: float = Field(
        default=2.0, gt=0, description="Background posts (decayed) that make a shingle common."
    )
    min_distinctive: float = Field(
        default=0.4, ge=0, le=1, description="Share of uncommon shingles a post needs (0: off)."
    )
    max_post_ids: int = Field(
        default=200, ge=1, description="Post ids carried per group record (the first ones)."
    )
    batch_size: int = Field(default=500, ge=1)
    batch_within_s: float = Field(default=0.5, gt=0)

    def detector_config(self) -> CoordinationConfig:
        from models.signals.coordination import CoordinationConfig

        return CoordinationConfig(
            window=timedelta(minutes=self.window_min),
            threshold=self.threshold,
            min_accounts=self.min_accounts,
            max_posts=self.max_posts,
            boilerplate_count=self.boilerplate_count,
            min_distinctive=self.min_distinctive,
        )


class EmergingSettings(_Group):
    """Emerging narratives (`pipeline.signals.emerging`): unmatched posts kept (sampled,
    expiring) with their embeddings, clustered every `interval_s`."""

    enabled: bool = True
    interval_s: float = Field(default=300.0, gt=0, description="Seconds between rounds.")
    window_min: float = Field(default=180.0, gt=0, description="Minutes clustered per round.")
    recent_min: float = Field(default=30.0, gt=0, description="Growth: recent period, minutes.")
    retention_min: float = Field(default=360.0, gt=0, description="Unmatched posts kept, minutes.")
    max_posts: int = Field(
        default=4_000,
        ge=1,
        description="Unmatched posts kept; clustering memory grows with its square "
        "(about 64 MB of distances at 4,000).",
    )
    sample_rate: float = Field(default=1.0, gt=0, le=1)
    min_size: int = Field(default=12, ge=2)
    min_authors: int = Field(default=5, ge=1)
    min_growth: float = Field(default=5.0, ge=0)
    distance_threshold: float = Field(default=0.5, gt=0, le=2)
    merge_similarity: float | None = Field(
        default=0.7, gt=0, le=1, description="Join clusters whose centroids reach this cosine."
    )
    merge_bursty_only: bool = Field(
        default=True, description="Only bursty clusters take part in the centroid merge."
    )
    regroup_distance: float | None = Field(
        default=0.6, gt=0, le=2, description="Posts no cluster took are clustered again among "
        "themselves at this cosine distance; bursty groups join a bursty cluster or stand alone.",
    )  # fmt: skip
    regroup_join_similarity: float = Field(
        default=0.6, gt=0, le=1, description="A regrouped burst joins a bursty cluster whose "
        "centroid its centroid reaches with this cosine.",
    )  # fmt: skip
    absorb_similarity: float | None = Field(
        default=0.5, gt=0, le=1, description="Recent posts outside every bursty cluster join the "
        "one whose centroid they reach with this cosine.",
    )  # fmt: skip
    absorb_rounds: int = Field(default=3, ge=1, description="Absorption passes (centroids move).")
    absorb_from_steady: bool = Field(
        default=True, description="Absorption also takes recent posts from steady clusters when "
        "a bursty centroid is closer than their own.",
    )  # fmt: skip
    sustain_min: float | None = Field(
        default=15.0, ge=0, description="A candidate must also have grown this many minutes ago.",
    )  # fmt: skip

    def clustering_config(self) -> EmergingConfig:
        from models.signals.emerging import EmergingConfig

        return EmergingConfig(
            window=timedelta(minutes=self.window_min),
            recent=timedelta(minutes=self.recent_min),
            retention=timedelta(minutes=self.retention_min),
            max_posts=self.max_posts,
            sample_rate=self.sample_rate,
            min_size=self.min_size,
            min_cluster_size=self.min_size,
            min_authors=self.min_authors,
            min_growth=self.min_growth,
            distance_threshold=self.distance_threshold,
            merge_similarity=self.merge_similarity,
            merge_bursty_only=self.merge_bursty_only,
            regroup_distance=self.regroup_distance,
            regroup_join_similarity=self.regroup_join_similarity,
            absorb_similarity=self.absorb_similarity,
            absorb_rounds=self.absorb_rounds,
            absorb_from_steady=self.absorb_from_steady,
            sustain=timedelta(minutes=self.sustain_min) if self.sustain_min else None,
        )


class SignalSettings(_Group):
    targeting: TargetingSettings = TargetingSettings()
    coordination: CoordinationSettings = CoordinationSettings()
    emerging: EmergingSettings = EmergingSettings()
