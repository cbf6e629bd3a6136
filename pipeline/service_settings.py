"""Settings groups for the services narrmon talks to (``NARRMON_KAFKA__*``,
``NARRMON_ELASTICSEARCH__*``, ``NARRMON_PROMETHEUS__*``, ``NARRMON_TOPICS__*``). Groups of
`pipeline.settings.Settings`, kept in their own module; import them from `pipeline.settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

LOOPBACK = "127.0.0.1"


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
    hits_refresh_interval: str = Field(
        default="500ms",
        pattern=r"^(-1|[1-9][0-9]*(ms|s|m))$",
        description="How often new hits become searchable (the hits index's refresh_interval; "
        "applied to the write index at worker start). Shorter: lower post -> searchable latency, "
        "more small segments to merge.",
    )

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
