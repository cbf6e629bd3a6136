"""Shared fixtures.

- `settings` (session): `Settings.load()`, i.e. the environment's configuration.
- `stack` (session): the real local stack (Kafka, Elasticsearch, Prometheus, Alertmanager), brought
  up if needed and returned as the settings. A stack that was already running is reused and never
  stopped; services this session started are stopped at the end unless ``NARRMON_KEEP_STACK=1``.
  Every test marked ``integration`` gets it automatically (autouse `_integration_stack`).
- `es` (session): an `elasticsearch.Elasticsearch` client for the local node.
- `kafka_bootstrap` (session): the Kafka bootstrap string (``127.0.0.1:29092`` by default).
- `unique_name`: a fresh ``t-<10 hex>`` name for topics, indices, consumer groups, targets.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pipeline.settings import Settings

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.load()


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Iterator[Settings]:
    from pipeline.stack import StackError, down, up

    try:
        report = up(settings)
    except StackError as exc:
        pytest.fail(f"the local stack could not be started: {exc}", pytrace=False)
    yield settings
    if report.started and os.environ.get("NARRMON_KEEP_STACK") != "1":
        down(settings, only=report.started)


@pytest.fixture(autouse=True)
def _integration_stack(request: pytest.FixtureRequest) -> None:
    """Integration tests always run against the real, running stack."""
    if request.node.get_closest_marker("integration") is not None:
        request.getfixturevalue("stack")


@pytest.fixture(scope="session")
def es(stack: Settings) -> Iterator[Elasticsearch]:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(stack.elasticsearch.endpoint, request_timeout=30)
    yield client
    client.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(stack: Settings) -> str:
    return stack.kafka.bootstrap


@pytest.fixture
def unique_name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"
