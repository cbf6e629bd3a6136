"""Kafka SASL/SSL settings reach every Kafka client narrmon builds: the connector producer, topic
admin, dead-letter reader and replay producer, demo housekeeping, the API's review publisher and
the Faust worker. The kafka-python classes are replaced by recorders, so nothing is contacted."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import certifi
import faust
import pytest
from click.testing import CliRunner
from pydantic import SecretStr, ValidationError

from pipeline.kafka_security import faust_options, kafka_python_options, ssl_context
from pipeline.settings import KafkaSecurity, Settings
from pipeline.worker_process import settings_env

SASL_SSL = KafkaSecurity(
    security_protocol="SASL_SSL",
    sasl_mechanism="SCRAM-SHA-512",
    sasl_username="narrmon",
    sasl_password=SecretStr("pa55"),
    ssl_cafile=Path(certifi.where()),
)
EXPECTED = {
    "security_protocol": "SASL_SSL",
    "sasl_mechanism": "SCRAM-SHA-512",
    "sasl_plain_username": "narrmon",
    "sasl_plain_password": "pa55",
    "ssl_cafile": certifi.where(),
    "ssl_check_hostname": True,
}


def secured() -> Settings:
    base = Settings()
    return base.model_copy(update={"kafka": base.kafka.model_copy(update={"security": SASL_SSL})})


class Captured(Exception):  # noqa: N818 - a control-flow signal of the recorder, not an error
    pass


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """kafka-python's producer, consumer and admin client, replaced by recorders that keep
    their keyword arguments and then raise `Captured`."""
    import kafka
    import kafka.admin

    calls: dict[str, list[dict[str, Any]]] = {"producer": [], "consumer": [], "admin": []}

    def recorder(kind: str) -> Callable[..., Any]:
        def build(*_: Any, **kwargs: Any) -> Any:
            calls[kind].append(kwargs)
            raise Captured(kind)

        return build

    monkeypatch.setattr(kafka, "KafkaProducer", recorder("producer"))
    monkeypatch.setattr(kafka, "KafkaConsumer", recorder("consumer"))
    monkeypatch.setattr(kafka.admin, "KafkaAdminClient", recorder("admin"))
    yield calls


def assert_secured(kwargs: dict[str, Any]) -> None:
    assert {k: kwargs.get(k) for k in EXPECTED} == EXPECTED


def test_inconsistent_security_settings_fail_at_load_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="needs sasl_mechanism, sasl_username"):
        KafkaSecurity(security_protocol="SASL_SSL", sasl_username="u")
    with pytest.raises(ValidationError, match="security_protocol is not SASL"):
        KafkaSecurity(sasl_username="u")
    with pytest.raises(ValidationError, match="security_protocol is not SSL"):
        KafkaSecurity(ssl_cafile=Path("/ca.pem"))
    with pytest.raises(ValidationError, match="go together"):
        KafkaSecurity(security_protocol="SSL", ssl_certfile=Path("/c.pem"))
    with pytest.raises(ValidationError, match="security_protocol"):
        KafkaSecurity(security_protocol="SASL_SCRAM")  # type: ignore[arg-type]


def test_security_is_read_from_the_environment_and_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in list(os.environ):
        if key.startswith("NARRMON_"):
            monkeypatch.delenv(key)
    for key, value in settings_env(secured()).items():  # what a demo worker child gets
        monkeypatch.setenv(key, value)
    loaded = Settings.load()
    assert loaded.kafka.security == SASL_SSL
    assert "pa55" not in repr(loaded) and "pa55" not in str(loaded.kafka)
    monkeypatch.delenv("NARRMON_KAFKA")
    monkeypatch.setenv("NARRMON_KAFKA__SECURITY__SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("NARRMON_KAFKA__SECURITY__SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("NARRMON_KAFKA__SECURITY__SASL_USERNAME", "u")
    monkeypatch.setenv("NARRMON_KAFKA__SECURITY__SASL_PASSWORD", "p")
    assert kafka_python_options(Settings.load().kafka.security)["sasl_plain_password"] == "p"


def test_library_options_per_protocol() -> None:
    assert kafka_python_options(KafkaSecurity()) == {"security_protocol": "PLAINTEXT"}
    assert faust_options(KafkaSecurity()) == {}
    assert ssl_context(KafkaSecurity()) is None
    assert kafka_python_options(SASL_SSL) == EXPECTED
    tls = KafkaSecurity(security_protocol="SSL", ssl_check_hostname=False)
    assert kafka_python_options(tls) == {"security_protocol": "SSL", "ssl_check_hostname": False}
    credentials = faust_options(tls)["broker_credentials"]
    assert isinstance(credentials, faust.SSLCredentials)
    assert credentials.context.check_hostname is False


def test_the_faust_worker_gets_sasl_over_tls() -> None:
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    from pipeline.app import create_app

    app = create_app(secured())  # the worker's app, as `narrmon worker` builds it
    auth = credentials_to_aiokafka_auth(app.conf.broker_credentials)  # what aiokafka gets
    assert auth["security_protocol"] == "SASL_SSL"
    assert auth["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (auth["sasl_plain_username"], auth["sasl_plain_password"]) == ("narrmon", "pa55")
    assert isinstance(auth["ssl_context"], ssl.SSLContext)
    assert auth["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert auth["ssl_context"].check_hostname is True


def test_topic_admin_and_dead_letter_tools_get_the_options(
    recorded: dict[str, list[dict[str, Any]]],
) -> None:
    from pipeline.dlq import store
    from pipeline.topics import ensure_pipeline_topics

    settings = secured()
    for call in (
        lambda: ensure_pipeline_topics(settings),
        lambda: store.read_letters(settings),
        lambda: store.find_delivered(settings, {"x:1"}, set()),
        lambda: store.publish(settings, []),
    ):
        with pytest.raises(Captured):
            call()
    assert len(recorded["admin"]) == 1 and len(recorded["consumer"]) == 2
    assert len(recorded["producer"]) == 1
    for kwargs in recorded["admin"] + recorded["consumer"] + recorded["producer"]:
        assert_secured(kwargs)


def test_demo_and_review_publisher_get_the_options(
    recorded: dict[str, list[dict[str, Any]]],
) -> None:
    from pipeline.api.server import build_service
    from pipeline.demo import replay_demo_stream
    from pipeline.demo_runs import prune_previous_runs

    settings = secured()
    with pytest.raises(Captured):
        replay_demo_stream(settings)
    prune_previous_runs(settings, "run")  # best effort: logs the failure, never raises
    publisher = build_service(settings).publisher
    assert publisher is not None
    with pytest.raises(Captured):
        publisher._get()  # type: ignore[attr-defined]
    assert len(recorded["producer"]) == 2 and len(recorded["admin"]) == 1
    for kwargs in recorded["producer"] + recorded["admin"]:
        assert_secured(kwargs)


def test_the_ingest_command_gets_the_options(
    recorded: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    from pipeline.cli import main

    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "1", "platform": "x", "text": "t"}\n', encoding="utf-8")
    env = {
        "NARRMON_KAFKA__SECURITY__SECURITY_PROTOCOL": "SASL_SSL",
        "NARRMON_KAFKA__SECURITY__SASL_MECHANISM": "SCRAM-SHA-512",
        "NARRMON_KAFKA__SECURITY__SASL_USERNAME": "narrmon",
        "NARRMON_KAFKA__SECURITY__SASL_PASSWORD": "pa55",
        "NARRMON_KAFKA__SECURITY__SSL_CAFILE": certifi.where(),
    }
    args = ["ingest", "jsonl", str(posts), "--no-progress"]
    first = CliRunner().invoke(main, args, env=env)
    assert isinstance(first.exception, Captured), first.output
    second = CliRunner().invoke(main, [*args, "--no-create-topics"], env=env)
    assert isinstance(second.exception, Captured), second.output
    assert len(recorded["admin"]) == 1 and len(recorded["producer"]) == 1
    for kwargs in recorded["admin"] + recorded["producer"]:
        assert_secured(kwargs)


def test_the_stall_watchdog_reads_log_ends_with_the_options(
    recorded: dict[str, list[dict[str, Any]]],
) -> None:
    import asyncio

    from pipeline.stall.watchdog import LogEnds

    log_ends = LogEnds(secured())
    try:
        assert asyncio.run(log_ends.read([("posts", 0)])) is None  # the recorder raised
    finally:
        log_ends.close()
    (kwargs,) = recorded["consumer"]
    assert_secured(kwargs)


ROOT = Path(__file__).resolve().parents[3]
# Every module that builds a Kafka client, and why it may: each takes the security options above
# (the local stack's readiness probe only ever talks to the local PLAINTEXT broker it started).
KAFKA_CLIENT_MODULES = {
    "connectors/publisher.py",
    "connectors/topics.py",
    "connectors/topic_reader.py",
    "pipeline/api/reviews.py",
    "pipeline/demo_runs.py",
    "pipeline/live_catalog/follower.py",
    "pipeline/live_catalog/topic.py",
    "pipeline/stack/readiness.py",
    "pipeline/stall/watchdog.py",
}


def _modules_containing(*needles: str) -> set[str]:
    found = set()
    for package in ("pipeline", "connectors", "models"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(needle in text for needle in needles):
                found.add(str(path.relative_to(ROOT)))
    return found


def test_no_client_is_built_outside_the_checked_factories() -> None:
    kafka = _modules_containing("KafkaProducer(", "KafkaConsumer(", "KafkaAdminClient(")
    assert kafka == KAFKA_CLIENT_MODULES
    assert _modules_containing("faust.App(") == {"pipeline/app.py"}
    # Elasticsearch TLS and API key live in one factory.
    elastic = _modules_containing("Elasticsearch(", "AsyncElasticsearch(")
    assert elastic == {"pipeline/elastic/client.py"}
