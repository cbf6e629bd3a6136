"""Alertmanager: the template renders to a config `amtool` accepts, routes by team and severity,
groups by narrative, inhibits symptoms of a dead worker, and holds no secret."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.settings import Settings
from pipeline.stack.layout import StackLayout
from pipeline.stack.prometheus import render_template, template_values

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
AMTOOL = shutil.which("amtool")


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    settings = Settings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    values = template_values(settings, StackLayout.of(settings))
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_template(TEMPLATE.read_text(), values))
    return path


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert AMTOOL, "amtool not on PATH (Debian package 'prometheus-alertmanager')"
    return subprocess.run([AMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


def _config(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def test_rendered_config_passes_amtool(rendered: Path) -> None:
    assert "${" not in rendered.read_text()
    result = _amtool("check-config", str(rendered))
    assert result.returncode == 0, result.stdout + result.stderr


def test_webhook_url_comes_from_settings(rendered: Path) -> None:
    (webhook,) = next(r for r in _config(rendered)["receivers"] if r["name"] == "webhook")[
        "webhook_configs"
    ]
    assert webhook["url"] == Settings().prometheus.alert_webhook_url


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (
            ["alertname=NarrativeSpike", "team=trust-safety", "severity=critical", "narrative=n"],
            "webhook,trust-safety-pagerduty,trust-safety-slack",
        ),
        (
            ["alertname=NarrativeSpike", "team=trust-safety", "severity=warning", "narrative=n"],
            "webhook,trust-safety-slack",
        ),
        (
            ["alertname=WorkerDown", "team=platform", "severity=critical"],
            "webhook,platform-pagerduty,platform-slack",
        ),
        (
            ["alertname=ConnectorSilent", "team=platform", "severity=warning"],
            "webhook,platform-slack",
        ),
        (["alertname=Unowned", "severity=warning"], "webhook"),
    ],
)
def test_routing_by_team_and_severity(rendered: Path, labels: list[str], receivers: str) -> None:
    result = _amtool(
        "config",
        "routes",
        "test",
        f"--config.file={rendered}",
        f"--verify.receivers={receivers}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_groups_by_narrative(rendered: Path) -> None:
    assert _config(rendered)["route"]["group_by"] == ["alertname", "narrative"]


def test_worker_down_inhibits_connector_silent_and_lag(rendered: Path) -> None:
    rules = _config(rendered)["inhibit_rules"]
    worker = next(r for r in rules if r["source_matchers"] == ['alertname="WorkerDown"'])
    (target,) = worker["target_matchers"]
    assert "ConnectorSilent" in target
    assert "PipelineConsumerLagHigh" in target


def test_no_inline_secrets() -> None:
    config = _config(TEMPLATE)
    for receiver in config["receivers"]:
        for kind, entries in receiver.items():
            if kind == "name":
                continue
            for entry in entries:
                assert not {"api_url", "routing_key", "service_key"} & set(entry), receiver["name"]
