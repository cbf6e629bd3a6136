"""End to end on the real local stack: spike processor -> real `Metrics` registry over HTTP ->
real Prometheus (our rules) -> real Alertmanager (our config) -> a webhook receiver in this test.

A replayed burst of hits for one narrative fires `NarrativeSpike` and it reaches the webhook; a
narrative with the same quiet baseline and no burst fires nothing. The hits are real `Hit`
records fed through `SpikeProcessor` (the agent's logic; the Faust wiring is covered by
tests/unit/spikes/test_agent.py), replayed with timestamps in the past minutes so the test does
not wait for minutes to pass.

If the running Alertmanager still has an older rendering of deploy/alertmanager/alertmanager.yml,
the test re-renders it exactly as `narrmon stack up` does and asks Alertmanager to reload.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from prometheus_client import CollectorRegistry, start_http_server

from models.records import Author, Explanation, Hit, NarrativeRef, Post, Scores
from pipeline.metrics import Metrics
from pipeline.settings import Settings, SpikeSettings
from pipeline.spikes.processor import SpikeProcessor
from pipeline.spikes.records import Spike
from pipeline.stack import register_scrape_target, unregister_scrape_target
from pipeline.stack.layout import StackLayout
from pipeline.stack.prometheus import render_template, template_values

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook(stack: Settings) -> Iterator[list[dict[str, Any]]]:
    url = urlparse(stack.prometheus.alert_webhook_url)
    handler = type("Webhook", (_Webhook,), {"received": []})
    server = ThreadingHTTPServer((url.hostname or "127.0.0.1", url.port or 80), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler.received
    server.shutdown()
    server.server_close()


@pytest.fixture
def alertmanager_config(stack: Settings) -> Path:
    """The running Alertmanager's config, brought up to date with the repository's template."""
    layout = StackLayout.of(stack)
    path = layout.service_dir("alertmanager") / "alertmanager.yml"
    template = (ROOT / "deploy" / "alertmanager" / "alertmanager.yml").read_text()
    wanted = render_template(template, template_values(stack, layout))
    if not path.exists() or path.read_text() != wanted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted)
        response = httpx.post(f"{stack.prometheus.alertmanager_url}/-/reload", timeout=10)
        assert response.status_code == 200, response.text
    return path


def _hit(narrative: str, author: str, at: datetime) -> Hit:
    post = Post(
        id=f"test:{uuid.uuid4().hex}",
        platform="test",
        source="e2e",
        author=Author(id=author),
        text=f"a post repeating narrative {narrative}",
        created_at=at,
    )
    ref = NarrativeRef(id=narrative, title=narrative, severity="high", verdict="false")
    return Hit(
        id=Hit.make_id(post.id, narrative),
        post=post,
        narrative=ref,
        scores=Scores(dense=0.8, lexical=0.4, combined=0.7),
        exemplar="exemplar",
        model_id="test",
        catalog_version="e2e",
        matched_at=at,
        explanation=Explanation(
            summary="test",
            best_exemplar="exemplar",
            dense_score=0.8,
            lexical_score=0.4,
            fused_score=0.7,
            threshold=0.5,
            model_id="test",
            catalog_version="e2e",
        ),
    )


def _query(settings: Settings, promql: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{settings.prometheus.url}/api/v1/query", params={"query": promql})
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


def _wait(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def test_burst_fires_narrative_spike_to_webhook_and_quiet_fires_nothing(
    stack: Settings,
    webhook: list[dict[str, Any]],
    alertmanager_config: Path,
    unique_name: str,
) -> None:
    burst, quiet = f"{unique_name}-burst", f"{unique_name}-quiet"
    metrics = Metrics(CollectorRegistry())
    server, thread = start_http_server(0, addr="127.0.0.1", registry=metrics.registry)
    port = server.server_address[1]
    target = register_scrape_target(stack, "narrmon-test", unique_name, f"127.0.0.1:{port}")
    spikes: list[Spike] = []

    async def publish(spike: Spike) -> None:
        spikes.append(spike)

    processor = SpikeProcessor(
        SpikeSettings(grace_s=0, warmup_min=5, by_platform=False), metrics, publish, None
    )
    try:
        import asyncio

        now = datetime.now(UTC).replace(second=0, microsecond=0)
        start = now - timedelta(minutes=12)
        # Ten quiet minutes for both narratives: 2 hits a minute from 2 authors.
        for minute in range(10):
            at = start + timedelta(minutes=minute, seconds=20)
            for narrative in (burst, quiet):
                for j in range(2):
                    processor.on_hit(_hit(narrative, f"a{j}", at).model_dump_json().encode())
            asyncio.run(processor.tick(at + timedelta(seconds=40)))
        assert spikes == []

        # Prometheus must see the spikes counter at 0 before the burst (increase() needs it).
        _wait(
            lambda: _query(stack, f'narrmon_narrative_spikes_total{{narrative="{burst}"}} == 0'),
            60,
            "Prometheus to scrape the test exporter",
        )
        at = start + timedelta(minutes=10, seconds=20)
        for j in range(30):
            processor.on_hit(_hit(burst, f"b{j}", at).model_dump_json().encode())
        for j in range(2):
            processor.on_hit(_hit(quiet, f"a{j}", at).model_dump_json().encode())
        asyncio.run(processor.tick(at + timedelta(seconds=40)))
        assert [(s.narrative_id, s.count) for s in spikes] == [(burst, 30)]

        def delivered() -> list[dict[str, Any]]:
            return [
                alert
                for message in webhook
                for alert in message["alerts"]
                if alert["labels"].get("alertname") == "NarrativeSpike"
                and alert["labels"].get("narrative") in (burst, quiet)
            ]

        alerts = _wait(delivered, 150, "NarrativeSpike at the webhook")
        assert {a["labels"]["narrative"] for a in alerts} == {burst}
        (alert,) = alerts
        assert alert["status"] == "firing"
        assert alert["labels"]["team"] == "trust-safety"
        assert alert["labels"]["severity"] == "warning"
        assert alert["labels"]["narrative_severity"] == "high"
        assert alert["annotations"]["runbook_url"] == "docs/runbooks/NarrativeSpike.md"
        assert not _query(stack, f'ALERTS{{narrative="{quiet}"}}')
    finally:
        unregister_scrape_target(target)
        server.shutdown()
        thread.join(timeout=5)
