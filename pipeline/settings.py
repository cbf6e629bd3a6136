"""One typed, frozen settings object for all of narrmon.

Read once, at the CLI entry point (`Settings.load()`), from environment variables prefixed with
``NARRMON_`` (and an optional ``.env`` file named by ``NARRMON_ENV_FILE``), then passed explicitly.
Nested groups use ``__``: ``NARRMON_KAFKA__PORT=39092``. Secrets are ``SecretStr`` and never logged.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.runtime_settings import (
    SEVERITIES,
    ApiSettings,
    CatalogSettings,
    MatcherSettings,
    ModelSettings,
    SpikeSettings,
    SpikeThresholds,
    WorkerSettings,
)
from pipeline.service_settings import (
    LOOPBACK,
    ElasticsearchSettings,
    KafkaSecurity,
    KafkaSettings,
    PrometheusSettings,
    TopicSettings,
)
from pipeline.signal_settings import SignalSettings

__all__ = [
    "LOOPBACK",
    "SEVERITIES",
    "ApiSettings",
    "CatalogSettings",
    "ElasticsearchSettings",
    "KafkaSecurity",
    "KafkaSettings",
    "MatcherSettings",
    "ModelSettings",
    "PrometheusSettings",
    "Settings",
    "SignalSettings",
    "SpikeSettings",
    "SpikeThresholds",
    "TopicSettings",
    "WorkerSettings",
]


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "narrmon"


def _default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "narrmon"


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
