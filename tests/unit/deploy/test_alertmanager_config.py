"""Alertmanager: the template renders to a config `amtool` accepts, routes by team and severity,
groups by narrative, scopes every inhibition with `equal:`, holds no secret, and leaves out the
receivers whose secret files are missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.settings import Settings
from pipeline.stack.alertmanager_config import prune_missing_secrets, render_alertmanager_config
from pipeline.stack.layout import StackLayout
from pipeline.stack.prometheus import render_template, template_values

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
AMTOOL = shutil.which("amtool")


SECRETS = (
    "slack-trust-safety-webhook-url",
    "slack-platform-webhook-url",
    "pagerduty-trust-safety-routing-key",
    "pagerduty-platform-routing-key",
)


def _render(tmp_path: Path, secrets: tuple[str, ...]) -> Path:
    settings = Settings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    (settings.state_dir / "secrets").mkdir(parents=True)
    for name in secrets:
        (settings.state_dir / "secrets" / name).write_text("https://hooks.example/x\n")
    values = template_values(settings, StackLayout.of(settings))
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_alertmanager_config(render_template(TEMPLATE.read_text(), values)))
    return path


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    """The config with every secret file present (as in production)."""
    return _render(tmp_path, SECRETS)


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


def test_every_inhibition_is_scoped_with_equal(rendered: Path) -> None:
    rules = _config(rendered)["inhibit_rules"]
    assert rules
    for rule in rules:
        assert rule.get("equal"), rule
    pairs = {(r["source_matchers"][0], r["target_matchers"][0]): r["equal"] for r in rules}
    assert pairs[('alertname="NoWorkerUp"', 'alertname="WorkerDown"')] == ["job"]
    assert pairs[('alertname="ConnectorBrokerUnreachable"', 'alertname="ConnectorSilent"')] == [
        "source"
    ]
    # A dead worker no longer mutes lag or connector alerts of the healthy ones.
    assert not [r for r in rules if 'alertname="WorkerDown"' in r["source_matchers"]]


def test_missing_secret_files_leave_their_receivers_out(tmp_path: Path) -> None:
    path = _render(tmp_path, ("slack-platform-webhook-url",))
    config = _config(path)
    assert [r["name"] for r in config["receivers"]] == ["webhook", "platform-slack"]
    receivers = {r["receiver"] for r in config["route"]["routes"]}
    assert receivers == {"webhook", "platform-slack"}
    assert "left out: trust-safety-slack, trust-safety-pagerduty" in path.read_text()
    assert _amtool("check-config", str(path)).returncode == 0
    result = _amtool(
        "config",
        "routes",
        "test",
        f"--config.file={path}",
        "--verify.receivers=webhook",
        "alertname=CriticalNarrativeHit",
        "team=trust-safety",
        "severity=critical",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_all_secrets_present_renders_the_template_unchanged(tmp_path: Path) -> None:
    text = TEMPLATE.read_text()
    assert render_alertmanager_config(text, exists=lambda _: True) == text


def test_a_missing_secret_on_the_default_receiver_is_refused() -> None:
    config = {
        "route": {"receiver": "pager"},
        "receivers": [{"name": "pager", "pagerduty_configs": [{"routing_key_file": "/nope"}]}],
    }
    with pytest.raises(ValueError, match="default receiver 'pager'"):
        prune_missing_secrets(config, exists=lambda _: False)


def test_no_inline_secrets() -> None:
    config = _config(TEMPLATE)
    for receiver in config["receivers"]:
        for kind, entries in receiver.items():
            if kind == "name":
                continue
            for entry in entries:
                assert not {"api_url", "routing_key", "service_key"} & set(entry), receiver["name"]
