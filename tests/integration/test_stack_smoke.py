"""The local stack is the real thing: Kafka, Elasticsearch, Prometheus and Alertmanager each do
what the pipeline needs from them, and `narrmon stack up/status` behave as documented."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch, helpers
from prometheus_client import CollectorRegistry, Counter, start_http_server

from pipeline.cli import main
from pipeline.settings import Settings
from pipeline.stack import register_scrape_target, unregister_scrape_target

pytestmark = pytest.mark.integration


def test_kafka_produce_and_consume_through_a_consumer_group(
    kafka_bootstrap: str, unique_name: str
) -> None:
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(unique_name, num_partitions=2, replication_factor=1)])
    try:
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        sent = [f"post-{i}".encode() for i in range(10)]
        for i, value in enumerate(sent):
            producer.send(unique_name, key=str(i).encode(), value=value)
        producer.flush(timeout=30)
        producer.close()

        consumer = KafkaConsumer(
            unique_name,
            bootstrap_servers=kafka_bootstrap,
            group_id=unique_name,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=20_000,
        )
        received: list[bytes] = []
        for message in consumer:
            received.append(message.value)
            if len(received) == len(sent):
                break
        consumer.commit()
        assignment = consumer.assignment()
        committed = sum(consumer.committed(tp) or 0 for tp in assignment)
        consumer.close()

        assert sorted(received) == sorted(sent)
        assert {tp.partition for tp in assignment} == {0, 1}
        assert committed == len(sent)
    finally:
        admin.delete_topics([unique_name])
        admin.close()


@pytest.fixture
def index(es: Elasticsearch, unique_name: str) -> Iterator[str]:
    yield unique_name
    es.options(ignore_status=404).indices.delete(index=unique_name)


def test_elasticsearch_dense_vector_knn_and_terms_aggregation(
    es: Elasticsearch, index: str
) -> None:
    es.indices.create(
        index=index,
        mappings={
            "properties": {
                "narrative": {"type": "keyword"},
                "text": {"type": "text"},
                "embedding": {
                    "type": "dense_vector",
                    "dims": 4,
                    "index": True,
                    "similarity": "cosine",
                },
            }
        },
    )
    docs = [
        ("a", "vaccines", [1.0, 0.0, 0.0, 0.0]),
        ("b", "vaccines", [0.9, 0.1, 0.0, 0.0]),
        ("c", "elections", [0.0, 1.0, 0.0, 0.0]),
        ("d", "climate", [0.0, 0.0, 1.0, 0.0]),
    ]
    actions = [
        {
            "_index": index,
            "_id": doc_id,
            "narrative": narrative,
            "text": f"post about {narrative}",
            "embedding": vector,
        }
        for doc_id, narrative, vector in docs
    ]
    indexed, errors = helpers.bulk(es, actions, refresh="wait_for")
    assert (indexed, errors) == (4, [])

    knn = es.search(
        index=index,
        knn={
            "field": "embedding",
            "query_vector": [1.0, 0.05, 0.0, 0.0],
            "k": 2,
            "num_candidates": 10,
        },
        source=["narrative"],
    )
    assert [hit["_id"] for hit in knn["hits"]["hits"]] == ["a", "b"]

    aggs = es.search(index=index, size=0, aggs={"by_narrative": {"terms": {"field": "narrative"}}})
    buckets = {b["key"]: b["doc_count"] for b in aggs["aggregations"]["by_narrative"]["buckets"]}
    assert buckets == {"vaccines": 2, "elections": 1, "climate": 1}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _prometheus_query(settings: Settings, promql: str) -> list[dict[str, object]]:
    url = f"{settings.prometheus.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "success"
    result: list[dict[str, object]] = body["data"]["result"]
    return result


def test_prometheus_scrapes_a_registered_target(stack: Settings, unique_name: str) -> None:
    registry = CollectorRegistry()
    counter = Counter("narrmon_smoke_events", "Smoke-test counter", ["probe"], registry=registry)
    counter.labels(probe=unique_name).inc(3)
    port = _free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    target = register_scrape_target(stack, "narrmon-test", unique_name, f"127.0.0.1:{port}")
    try:
        promql = f'narrmon_smoke_events_total{{probe="{unique_name}",job="narrmon-test"}}'
        # file_sd refresh (5 s) + one scrape interval + slack.
        deadline = time.monotonic() + 5 + 3 * stack.prometheus.scrape_interval_s + 15
        result: list[dict[str, object]] = []
        while time.monotonic() < deadline and not result:
            result = _prometheus_query(stack, promql)
            if not result:
                time.sleep(1)
        assert result, f"Prometheus never scraped {promql}"
        metric = result[0]["metric"]
        assert isinstance(metric, dict)
        assert metric["instance_name"] == unique_name
        value = result[0]["value"]
        assert isinstance(value, list)
        assert float(value[1]) == 3.0
    finally:
        unregister_scrape_target(target)
        server.shutdown()
        thread.join(timeout=5)


def test_alertmanager_accepts_and_lists_an_alert(stack: Settings, unique_name: str) -> None:
    base = stack.prometheus.alertmanager_url
    alert = [{"labels": {"alertname": unique_name, "severity": "info"}}]
    request = urllib.request.Request(
        f"{base}/api/v2/alerts",
        data=json.dumps(alert).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    query = urllib.parse.urlencode({"filter": f'alertname="{unique_name}"'})
    with urllib.request.urlopen(f"{base}/api/v2/alerts?{query}", timeout=5) as response:
        listed = json.loads(response.read())
    assert [a["labels"]["alertname"] for a in listed] == [unique_name]


def test_up_twice_is_fast_and_status_json_reports_every_service(stack: Settings) -> None:
    runner = CliRunner()
    started = time.monotonic()
    first = runner.invoke(main, ["stack", "up"])
    assert first.exit_code == 0, first.output
    assert "already running: kafka, elasticsearch, prometheus, alertmanager" in first.output
    assert "reloaded config: prometheus, alertmanager" in first.output
    second = runner.invoke(main, ["stack", "up"])
    assert second.exit_code == 0, second.output
    assert time.monotonic() - started < 30

    status = runner.invoke(main, ["stack", "status", "--json"])
    assert status.exit_code == 0, status.output
    reported = json.loads(status.output)
    # background processes narrmon started (a kept demo's worker and UI) are listed too, marked
    services = {name: info for name, info in reported.items() if "(background)" not in name}
    assert set(services) == {"kafka", "elasticsearch", "prometheus", "alertmanager"}
    for name, info in services.items():
        assert info["state"] == "running", name
        assert isinstance(info["pid"], int)
        assert info["log"].endswith(f"logs/{name}.log")
    assert services["kafka"]["url"] == stack.kafka.bootstrap
    assert services["elasticsearch"]["url"] == stack.elasticsearch.endpoint
    assert services["prometheus"]["url"] == stack.prometheus.url
    assert services["alertmanager"]["url"] == stack.prometheus.alertmanager_url
