"""Is a service answering? One quick, non-raising probe per kind of service (blocking, bounded).

- Kafka: a TCP connect, then a real metadata request through kafka-python's admin client
  (`describe_cluster`), so "ready" means the broker serves clients, not just that a port is open.
- Elasticsearch: ``GET /_cluster/health`` reports ``yellow`` or ``green``.
- Prometheus and Alertmanager: ``GET /-/ready`` answers 200.
Each probe returns False on any error and never takes much longer than `timeout_s`.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request

logger = logging.getLogger(__name__)


def tcp_open(host: str, port: int, timeout_s: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def http_get_json(url: str, timeout_s: float = 2.0) -> object | None:
    """GET `url` and parse JSON; None on any error or non-2xx answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            parsed: object = json.loads(response.read().decode("utf-8"))
            return parsed
    except (OSError, ValueError, urllib.error.URLError):
        return None


def http_ok(url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return 200 <= int(response.status) < 300
    except (OSError, ValueError, urllib.error.URLError):
        return False


def kafka_ready(host: str, port: int, timeout_s: float = 5.0) -> bool:
    """True when the broker at host:port answers a metadata request with at least one broker."""
    if not tcp_open(host, port):
        return False
    from kafka.admin import KafkaAdminClient  # heavy-ish import, only when probing

    client = None
    try:
        client = KafkaAdminClient(
            bootstrap_servers=f"{host}:{port}",
            client_id="narrmon-stack-probe",
            request_timeout_ms=int(timeout_s * 1000),
            bootstrap_timeout_ms=int(timeout_s * 1000),
        )
        cluster = client.describe_cluster()
        return bool(cluster.get("brokers"))
    except Exception as exc:  # any client error just means "not ready yet"
        logger.debug("kafka at %s:%d not ready: %s", host, port, exc)
        return False
    finally:
        if client is not None:
            client.close()


def elasticsearch_ready(url: str, timeout_s: float = 2.0) -> bool:
    """True when ``_cluster/health`` says yellow or green."""
    health = http_get_json(f"{url}/_cluster/health", timeout_s)
    return isinstance(health, dict) and health.get("status") in ("yellow", "green")


def prometheus_ready(url: str, timeout_s: float = 2.0) -> bool:
    """True when Prometheus or Alertmanager answers ``/-/ready``."""
    return http_ok(f"{url}/-/ready", timeout_s)
