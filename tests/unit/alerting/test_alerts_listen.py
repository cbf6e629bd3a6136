"""`narrmon alerts listen`: a webhook receiver that prints what it receives; checked with the
documented payload and with a real Alertmanager (its own process, config and ports) delivering
an alert posted to its API."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.cli.alerts import make_server, printer
from tests.unit.alerting.test_alert_webhook import PAYLOAD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def receiver(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[str, Path]]:
    record = tmp_path / "alerts.jsonl"
    server: ThreadingHTTPServer = make_server("127.0.0.1", 0, printer(False, record))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts", record
    server.shutdown()
    server.server_close()


def test_prints_and_records_a_documented_payload(
    receiver: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, record = receiver
    response = httpx.post(url, json=PAYLOAD, timeout=5)
    assert response.status_code == 200
    out = capsys.readouterr().out
    assert out.startswith("FIRING critical CriticalNarrativeHit since 2024-11-05 21:14:03Z")
    (line,) = record.read_text().splitlines()
    assert json.loads(line)["labels"]["narrative"] == "poll-worker-doxxing"


def test_rejects_what_is_not_a_notification(receiver: tuple[str, Path]) -> None:
    url, record = receiver
    response = httpx.post(url, content=b'{"status": "firing"}', timeout=5)
    assert response.status_code == 400
    assert "alerts" in response.text
    assert httpx.get(url, timeout=5).status_code == 200  # liveness
    assert not record.exists()


def test_cli_help_and_a_port_already_taken() -> None:
    assert "--json" in CliRunner().invoke(main, ["alerts", "listen", "--help"]).output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(main, ["alerts", "listen", "--port", port])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_a_real_alertmanager_delivers_to_the_receiver(tmp_path: Path) -> None:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert binary, "Alertmanager missing (Debian package prometheus-alertmanager)"
    listen_port, am_port = _free_port(), _free_port()
    record = tmp_path / "alerts.jsonl"
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "alerts",
            "listen",
            "--port",
            str(listen_port),
            "--json",
            "--record",
            str(record),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    config = tmp_path / "am.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "route": {"receiver": "webhook", "group_wait": "0s", "group_by": ["alertname"]},
                "receivers": [
                    {
                        "name": "webhook",
                        "webhook_configs": [{"url": f"http://127.0.0.1:{listen_port}/alerts"}],
                    }
                ],
            }
        )
    )
    am = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        api = f"http://127.0.0.1:{am_port}/api/v2/alerts"
        alert = [
            {
                "labels": {
                    "alertname": "WorkerDown",
                    "severity": "warning",
                    "instance": "127.0.0.1:41233",
                },
                "annotations": {"summary": "narrmon worker 127.0.0.1:41233 is down"},
            }
        ]
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.post(api, json=alert, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "Alertmanager did not start"
            time.sleep(0.2)
        while not (record.exists() and record.read_text().strip()):
            assert time.monotonic() < deadline, "no alert delivered"
            time.sleep(0.2)
    finally:
        am.terminate()
        am.wait(10)
        cli.terminate()
        out, err = cli.communicate(timeout=10)
    received = json.loads(out.splitlines()[0])
    assert received["labels"]["alertname"] == "WorkerDown"
    assert received["annotations"]["summary"] == "narrmon worker 127.0.0.1:41233 is down"
    assert received["status"] == "firing"
    assert f"listening on http://127.0.0.1:{listen_port}/alerts" in err
