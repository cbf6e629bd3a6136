"""End to end on the real local stack: connector publisher -> Kafka -> a real `narrmon worker`
(model, matching, spike agent) -> its /metrics -> real Prometheus (our rules) -> real
Alertmanager (our config) -> a webhook receiver in this test.

The worker runs with spike windows of 5 s, no warm-up, a short grace and a 30 s half-life, so a
"quiet baseline" is a few windows long rather than minutes. Each run writes its own catalog whose
two narratives have run-unique ids (the alert is grouped by narrative, so other workers scraped by
the shared Prometheus cannot fire or mask it), and uses its own topics, index prefix, app id and
metrics port. The worker registers its /metrics with Prometheus itself when asked
(``narrmon worker --register-with <the stack's file_sd directory>``, `pipeline.file_sd`).

A quiet baseline for both narratives fires nothing; a burst from many distinct authors for one of
them fires `NarrativeSpike` for that narrative only, the spike is on the spikes topic and in the
alerts index.

If the running Alertmanager still has an older rendering of deploy/alertmanager/alertmanager.yml,
the test re-renders it exactly as `narrmon stack up` does and asks Alertmanager to reload.
"""

from __future__ import annotations

import functools
import json
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import httpx
import pytest

from connectors.publisher import Publisher
from models.records import Author, Post
from pipeline.elastic.schema.names import alerts_index
from pipeline.settings import Settings, SpikeSettings
from pipeline.spikes.records import Spike
from pipeline.stack import alert_receiver, process
from pipeline.stack.alertmanager_config import render_alertmanager_config
from pipeline.stack.layout import StackLayout
from pipeline.stack.prometheus import render_template, runbook_base_url, template_values
from pipeline.worker_process import Samples, WorkerProcess, total

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WINDOW_S = 5
QUIET_WINDOWS = 3
QUIET_PER_WINDOW = 2
BURST_AUTHORS = 30
BURST_TEXT = "The election was stolen, millions of fraudulent ballots were counted"
QUIET_TEXT = "Voting machines secretly switched votes from one candidate to the other machine"
T = TypeVar("T")


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook(stack: Settings) -> Iterator[list[dict[str, Any]]]:
    """Notifications Alertmanager delivers to its webhook receiver from now on. When the stack
    runs its own receiver (`narrmon alerts listen`, settings.prometheus.alert_receiver), they are
    read from the alerts it records; otherwise this test listens on the webhook address itself."""
    layout = StackLayout.of(stack)
    if process.running_pid(layout.pid_file(alert_receiver.NAME)) is not None:
        record = Path(alert_receiver.record_file(layout))
        start = record.stat().st_size if record.exists() else 0
        received = _RecordedNotifications(record, start)
        yield received
        return
    url = urlparse(stack.prometheus.alert_webhook_url)
    listened: list[dict[str, Any]] = []
    handler: type[_Webhook] = type("Webhook", (_Webhook,), {"received": listened})
    server = ThreadingHTTPServer((url.hostname or "127.0.0.1", url.port or 80), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield listened
    server.shutdown()
    server.server_close()


class _RecordedNotifications(list[dict[str, Any]]):
    """The stack receiver's JSON-lines record, read afresh on every iteration, each alert
    wrapped as a one-alert notification."""

    def __init__(self, path: Path, start: int) -> None:
        super().__init__()
        self._path, self._start = path, start

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if not self._path.exists():
            return iter([])
        with self._path.open("rb") as handle:
            handle.seek(self._start)
            lines = handle.read().decode("utf-8").splitlines()
        return iter([{"alerts": [json.loads(line)]} for line in lines if line.strip()])


@pytest.fixture
def alertmanager_config(stack: Settings) -> Path:
    """The running Alertmanager's config, brought up to date with the repository's template."""
    layout = StackLayout.of(stack)
    path = layout.service_dir("alertmanager") / "alertmanager.yml"
    template = (ROOT / "deploy" / "alertmanager" / "alertmanager.yml").read_text()
    wanted = render_alertmanager_config(render_template(template, template_values(stack, layout)))
    if not path.exists() or path.read_text() != wanted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted)
        response = httpx.post(f"{stack.prometheus.alertmanager_url}/-/reload", timeout=10)
        assert response.status_code == 200, response.text
    return path


@dataclass(frozen=True)
class Run:
    settings: Settings
    burst: str
    quiet: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _catalog(path: Path, burst: str, quiet: str) -> Path:
    # Same phrasings as the unit fixture catalog; ids unique to this run. Both severities are
    # "high" so the CriticalNarrativeHit alert stays out of the picture.
    path.write_text(
        f"""catalog: e2e-{burst}
narratives:
  - id: {burst}
    title: "The election was stolen through mass voter fraud"
    severity: high
    exemplars:
      - "{BURST_TEXT}"
      - "Dead people voted and rigged the election"
    keywords: [ballots, rigged]
  - id: {quiet}
    title: "Voting machines flipped votes"
    severity: high
    exemplars:
      - "Voting machines secretly switched votes from one candidate to the other"
    required_terms: [machine]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def run(stack: Settings, es: Any, tmp_path: Path, unique_name: str) -> Iterator[Run]:
    """Settings for one worker of this test only; deletes its topics and indices afterwards."""
    burst, quiet = f"{unique_name}-burst", f"{unique_name}-quiet"
    settings = stack.model_copy(
        update={
            "topics": stack.topics.model_copy(
                update={
                    "posts": f"{unique_name}.posts",
                    "hits": f"{unique_name}.hits",
                    "dead_letter": f"{unique_name}.dlq",
                    "post_events": f"{unique_name}.events",
                    "spikes": f"{unique_name}.spikes",
                    "partitions": 1,
                }
            ),
            "worker": stack.worker.model_copy(
                update={
                    "app_id": unique_name,
                    "metrics_port": _free_port(),
                    "session_timeout_s": 6.0,
                    "heartbeat_interval_s": 1.0,
                    "commit_interval_s": 0.5,
                    "batch_size": 16,
                    "batch_within_s": 0.2,
                }
            ),
            # Half a minute of half-life (6 windows), so the few quiet windows make a baseline.
            "spikes": SpikeSettings(
                window_s=WINDOW_S, warmup_min=0, grace_s=1.0, baseline_half_life_min=0.5
            ),
            "elasticsearch": stack.elasticsearch.model_copy(update={"index_prefix": unique_name}),
            "catalog": stack.catalog.model_copy(
                update={"path": _catalog(tmp_path / "catalog.yaml", burst, quiet)}
            ),
            # The stack's own state_dir: the worker registers its scrape target below it, where
            # the running Prometheus reads targets. Faust's data goes to faust/<app id> there.
        }
    )
    yield Run(settings, burst, quiet)
    shutil.rmtree(settings.state_dir / "faust" / unique_name, ignore_errors=True)
    from kafka.admin import KafkaAdminClient

    es.options(ignore_status=404).indices.delete_index_template(name=f"{unique_name}*")
    es.options(ignore_status=404).indices.delete(index=f"{unique_name}-*", expand_wildcards="all")
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap)
    try:
        names = [t for t in admin.list_topics() if t.startswith(unique_name)]
        if names:
            admin.delete_topics(names)
    finally:
        admin.close()


def _wait(condition: Callable[[], T | None], timeout: float, what: str, poll: float = 1.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def _query(settings: Settings, promql: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{settings.prometheus.url}/api/v1/query", params={"query": promql}, timeout=10
    )
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


def _post(run: Run, text: str, author: str, n: int) -> Post:
    return Post(
        id=f"e2e:{run.settings.worker.app_id}-{n}",
        platform="x",
        source="e2e",
        author=Author(id=author),
        text=f"{text} #{n}",
        created_at=datetime.now(UTC),
    )


def _sleep_to_window_start(offset_s: float = 0.3) -> None:
    """Sleep until `offset_s` after the next spike-window boundary (epoch-aligned)."""
    now = time.time()
    time.sleep(WINDOW_S - now % WINDOW_S + offset_s)


def _live(worker: WorkerProcess) -> Samples | None:
    assert worker.proc is not None and worker.proc.poll() is None, (
        f"worker exited: {worker.death_report()}"
    )
    return worker.scrape()


def _processed(worker: WorkerProcess, expected: int) -> Samples | None:
    samples = _live(worker)
    if samples is None or total(samples, "narrmon_posts_processed_total") < expected:
        return None
    return samples


def _spikes_on_topic(run: Run, timeout_s: float = 20.0) -> list[Spike]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        run.settings.topics.spikes,
        bootstrap_servers=run.settings.kafka.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    try:
        spikes: list[Spike] = []
        for record in consumer:
            spikes.append(Spike.model_validate_json(record.value))
            if any(s.platform is None for s in spikes):
                break
        extra = consumer.poll(timeout_ms=1000)
        spikes += [Spike.model_validate_json(r.value) for b in extra.values() for r in b]
        return spikes
    finally:
        consumer.close()


def test_real_worker_burst_fires_narrative_spike_to_webhook_and_quiet_fires_nothing(
    run: Run,
    es: Any,
    webhook: list[dict[str, Any]],
    alertmanager_config: Path,
    tmp_path: Path,
) -> None:
    settings = run.settings
    port = settings.worker.metrics_port
    instance = f'job="narrmon-worker",instance="127.0.0.1:{port}"'
    worker = WorkerProcess(
        settings,
        tmp_path / "worker.log",
        register_with=StackLayout.of(settings).scrape_targets_dir,
    )
    publisher: Publisher | None = None
    try:
        worker.start()
        worker.wait_ready(timeout_s=180)
        target = StackLayout.of(settings).scrape_targets_dir
        assert list(target.glob(f"narrmon-worker--{settings.worker.app_id}-*-{port}.json"))
        _wait(
            lambda: _query(settings, f"up{{{instance}}} == 1"),
            60,
            "Prometheus to scrape the worker it registered",
        )

        publisher = Publisher(
            settings.kafka.bootstrap,
            topic=settings.topics.posts,
            dead_letter_topic=settings.topics.dead_letter,
            source="e2e",
        )
        sent = 0
        # Quiet baseline: QUIET_PER_WINDOW posts per window for each narrative, two authors.
        for _ in range(QUIET_WINDOWS):
            _sleep_to_window_start()
            for text in (BURST_TEXT, QUIET_TEXT):
                for j in range(QUIET_PER_WINDOW):
                    publisher.publish_post(_post(run, text, f"regular-{j}", sent))
                    sent += 1
            publisher.flush(10)
            # The first window also waits for the consumer group to form (model already loaded).
            matched = functools.partial(_processed, worker, sent)
            _wait(matched, 90, f"{sent} posts matched", poll=0.3)
        assert publisher.stats.posts_acked == sent

        samples = _live(worker)
        assert samples is not None
        hits_by_narrative = {
            n: total(samples, "narrmon_hits_total", narrative=n) for n in (run.burst, run.quiet)
        }
        expected_quiet = QUIET_WINDOWS * QUIET_PER_WINDOW
        assert hits_by_narrative == {run.burst: expected_quiet, run.quiet: expected_quiet}
        assert total(samples, "narrmon_narrative_spikes_total") == 0
        # increase() needs the counter at 0 before the step; the agent creates it at the first hit.
        at_zero = f'narrmon_narrative_spikes_total{{{instance},narrative="{run.burst}"}} == 0'
        _wait(lambda: _query(settings, at_zero), 30, "Prometheus to see the spikes counter at 0")

        # Burst: many distinct authors for one narrative in one window; the quiet one stays quiet.
        _sleep_to_window_start()
        for j in range(BURST_AUTHORS):
            publisher.publish_post(_post(run, BURST_TEXT, f"burst-{j}", sent))
            sent += 1
        for j in range(QUIET_PER_WINDOW):
            publisher.publish_post(_post(run, QUIET_TEXT, f"regular-{j}", sent))
            sent += 1
        publisher.flush(10)

        def spiked() -> Samples | None:
            samples = _live(worker)
            if samples is None or total(samples, "narrmon_narrative_spikes_total") < 1:
                return None
            return samples

        samples = _wait(spiked, 60, "the worker to count a spike", poll=0.5)
        assert total(samples, "narrmon_narrative_spikes_total", narrative=run.burst) == 1
        assert total(samples, "narrmon_narrative_spikes_total", narrative=run.quiet) == 0

        def delivered() -> list[dict[str, Any]]:
            return [
                alert
                for message in webhook
                for alert in message["alerts"]
                if alert["labels"].get("alertname") == "NarrativeSpike"
                and alert["labels"].get("narrative") in (run.burst, run.quiet)
            ]

        alerts = _wait(delivered, 90, "NarrativeSpike at the webhook")
        assert {a["labels"]["narrative"] for a in alerts} == {run.burst}
        alert = alerts[0]
        assert alert["status"] == "firing"
        assert alert["labels"]["team"] == "trust-safety"
        assert alert["labels"]["severity"] == "warning"
        assert alert["labels"]["narrative_severity"] == "high"
        base = runbook_base_url(settings, StackLayout.of(settings))
        assert alert["annotations"]["runbook_url"] == f"{base}/NarrativeSpike.md"
        assert alert["annotations"]["hits_url"].endswith(f"/?narrative={run.burst}&since=1h")
        assert "narrmon_runbook_base_url" not in alert["labels"]  # dropped before Alertmanager
        assert not _query(settings, f'ALERTS{{narrative="{run.quiet}"}}')

        # The spike event on the spikes topic and its document in the alerts index.
        spikes = _spikes_on_topic(run)
        assert {s.narrative_id for s in spikes} == {run.burst}
        (overall,) = [s for s in spikes if s.platform is None]
        assert overall.count >= settings.spikes.high.min_volume
        assert overall.distinct_authors >= settings.spikes.high.min_authors
        assert (overall.window_end - overall.window_start).total_seconds() == WINDOW_S
        assert overall.baseline > 0, "the quiet windows should have built a baseline"
        assert overall.z >= settings.spikes.high.min_z
        index = alerts_index(settings)

        def indexed() -> dict[str, Any] | None:
            if not es.indices.exists(index=index):
                return None
            es.indices.refresh(index=index)
            found: dict[str, Any] = es.options(ignore_status=404).get(index=index, id=overall.id)
            return found if found.get("found") else None

        document = _wait(indexed, 20, "the spike in the alerts index")["_source"]
        assert document["kind"] == "spike"
        assert document["narrative_id"] == run.burst
        assert document["count"] == overall.count
    finally:
        if publisher is not None:
            publisher.close()
        worker.stop()
    # A stopped worker takes its scrape target with it.
    assert not list(StackLayout.of(settings).scrape_targets_dir.glob(f"*{settings.worker.app_id}*"))
