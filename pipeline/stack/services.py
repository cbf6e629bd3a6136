"""The services of the local stack: where each listens, how it is prepared, how readiness and
config reloads are probed (pure: builds specs from settings, starts nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.settings import Settings
from pipeline.stack import alert_receiver, elasticsearch, kafka, prometheus, readiness
from pipeline.stack.launch import Launch
from pipeline.stack.layout import StackLayout


@dataclass(frozen=True)
class ServiceSpec:
    """One service of the stack: where it listens, how to prepare it, how to tell it is ready."""

    name: str
    host: str
    port: int
    address: str
    prepare: Callable[[Settings, StackLayout], Launch]
    ready: Callable[[], bool]
    start_timeout_s: float
    # Re-render the config of an already running service and make it re-read it (None: no reload).
    reload: Callable[[Settings, StackLayout], None] | None = None


def service_specs(settings: Settings) -> tuple[ServiceSpec, ...]:
    """The four services, in start order, plus the alert receiver when
    ``settings.prometheus.alert_receiver`` is on (pure)."""
    k, es, p = settings.kafka, settings.elasticsearch, settings.prometheus
    receiver_host, receiver_port = alert_receiver.address(settings)
    es_url = f"http://{es.host}:{es.port}"
    receiver = (
        ServiceSpec(
            name=alert_receiver.NAME,
            host=receiver_host,
            port=receiver_port,
            address=p.alert_webhook_url,
            prepare=alert_receiver.prepare,
            ready=lambda: readiness.tcp_open(receiver_host, receiver_port),
            start_timeout_s=30.0,
        ),
    )
    return (
        ServiceSpec(
            name=kafka.NAME,
            host=k.host,
            port=k.port,
            address=f"{k.host}:{k.port}",
            prepare=kafka.prepare,
            ready=lambda: readiness.kafka_ready(k.host, k.port),
            start_timeout_s=90.0,
        ),
        ServiceSpec(
            name=elasticsearch.NAME,
            host=es.host,
            port=es.port,
            address=es_url,
            prepare=elasticsearch.prepare,
            ready=lambda: readiness.elasticsearch_ready(es_url),
            start_timeout_s=180.0,
        ),
        ServiceSpec(
            name=prometheus.PROMETHEUS,
            host=p.host,
            port=p.port,
            address=p.url,
            prepare=prometheus.prepare_prometheus,
            ready=lambda: readiness.prometheus_ready(p.url),
            start_timeout_s=60.0,
            reload=prometheus.reload_prometheus,
        ),
        ServiceSpec(
            name=prometheus.ALERTMANAGER,
            host=p.host,
            port=p.alertmanager_port,
            address=p.alertmanager_url,
            prepare=prometheus.prepare_alertmanager,
            ready=lambda: readiness.prometheus_ready(p.alertmanager_url),
            start_timeout_s=60.0,
            reload=prometheus.reload_alertmanager,
        ),
    ) + (receiver if p.alert_receiver else ())
