"""Pure config rendering of the local stack, checked without any service running."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from pipeline.settings import Settings
from pipeline.stack import elasticsearch, kafka, prometheus
from pipeline.stack.layout import DEPLOY_DIR, StackLayout


@pytest.fixture
def custom(tmp_path: Path) -> Settings:
    return Settings(
        cache_dir=tmp_path / "cache",
        state_dir=tmp_path / "state",
        kafka={"port": 39092, "controller_port": 39093},
        elasticsearch={"port": 39200, "transport_port": 39300},
        prometheus={"port": 39090, "alertmanager_port": 39094, "scrape_interval_s": 0.5},
    )


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return {key: value for key, value in pairs}


def test_kafka_properties_single_kraft_node_on_loopback(custom: Settings, tmp_path: Path) -> None:
    props = _properties(kafka.render_server_properties(custom, tmp_path / "data"))
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:39092"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:39093"
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_kafka_cluster_id_is_22_url_safe_characters() -> None:
    ids = {kafka.new_cluster_id() for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) == 22 and "=" not in i and "+" not in i and "/" not in i for i in ids)


def test_kafka_cluster_id_never_reads_as_an_option(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xF8 encodes to a leading "-", which kafka-storage's -t would take for an option
    drawn = iter([uuid.UUID(bytes=b"\xf8" + b"\x00" * 15), uuid.UUID(bytes=b"\x10" * 16)])
    monkeypatch.setattr(kafka.uuid, "uuid4", lambda: next(drawn))
    cluster_id = kafka.new_cluster_id()
    assert cluster_id == "EBAQEBAQEBAQEBAQEBAQEA"


def test_elasticsearch_yml_single_node_no_security_on_loopback(
    custom: Settings, tmp_path: Path
) -> None:
    text = elasticsearch.render_elasticsearch_yml(custom, tmp_path / "d", tmp_path / "l")
    lines = set(text.splitlines())
    for expected in (
        "discovery.type: single-node",
        "xpack.security.enabled: false",
        "network.host: 127.0.0.1",
        "http.port: 39200",
        "transport.port: 39300",
        f"path.data: {tmp_path / 'd'}",
        f"path.logs: {tmp_path / 'l'}",
    ):
        assert expected in lines


def test_prometheus_template_values_follow_settings(custom: Settings) -> None:
    layout = StackLayout.of(custom)
    values = prometheus.template_values(custom, layout)
    assert values["scrape_interval"] == "500ms"
    assert values["evaluation_interval"] == "500ms"
    assert values["prometheus_address"] == "127.0.0.1:39090"
    assert values["alertmanager_address"] == "127.0.0.1:39094"
    assert values["targets_dir"] == str(custom.state_dir / "prometheus" / "targets")
    assert values["rules_dir"] == str(DEPLOY_DIR / "prometheus" / "rules")


def test_render_template_leaves_regex_references_and_unknown_placeholders() -> None:
    text = "a: ${known}\nreplacement: $1\nother: ${unknown}\n"
    assert prometheus.render_template(text, {"known": "x"}) == (
        "a: x\nreplacement: $1\nother: ${unknown}\n"
    )


def test_rendered_prometheus_config_is_valid_and_has_every_job(
    custom: Settings, tmp_path: Path
) -> None:
    layout = StackLayout.of(custom)
    template = (DEPLOY_DIR / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    rendered = prometheus.render_template(template, prometheus.template_values(custom, layout))
    config_lines = [line for line in rendered.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in config_lines if "${" in line]
    for job in ("prometheus", "narrmon-worker", "narrmon-connector", "narrmon-test"):
        assert f"job_name: {job}" in rendered
    config = tmp_path / "prometheus.yml"
    config.write_text(rendered, encoding="utf-8")
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool missing: run scripts/bootstrap.sh"
    done = subprocess.run(
        [promtool, "check", "config", "--syntax-only", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_launch_command_lines_carry_their_markers(custom: Settings) -> None:
    layout = StackLayout.of(custom)
    for prepare in (prometheus.prepare_prometheus, prometheus.prepare_alertmanager):
        launch = prepare(custom, layout)
        assert any(launch.marker in arg for arg in launch.argv)
        assert Path(launch.marker).is_file()
        assert str(custom.state_dir) in launch.marker
    am = prometheus.prepare_alertmanager(custom, layout)
    assert "--cluster.listen-address=" in am.argv
    assert "--web.listen-address=127.0.0.1:39094" in am.argv


def _rendered_prometheus(settings: Settings) -> dict[str, object]:
    template = (DEPLOY_DIR / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    values = prometheus.template_values(settings, StackLayout.of(settings))
    loaded: dict[str, object] = yaml.safe_load(prometheus.render_template(template, values))
    return loaded


def test_alert_links_are_absolute_and_never_reach_alertmanager_as_labels(custom: Settings) -> None:
    config = _rendered_prometheus(custom)
    labels = config["global"]["external_labels"]  # type: ignore[index]
    assert labels["narrmon_runbook_base_url"] == (DEPLOY_DIR.parent / "docs/runbooks").as_uri()
    assert Path(
        labels["narrmon_runbook_base_url"].removeprefix("file://"), "WorkerDown.md"
    ).is_file()
    assert labels["narrmon_ui_url"] == "http://127.0.0.1:29080"
    (relabel,) = config["alerting"]["alert_relabel_configs"]  # type: ignore[index]
    assert relabel["action"] == "labeldrop"
    assert re.fullmatch(relabel["regex"], "narrmon_runbook_base_url")
    assert re.fullmatch(relabel["regex"], "narrmon_ui_url")
    assert not re.fullmatch(relabel["regex"], "environment")


def test_alert_link_bases_are_configurable(tmp_path: Path) -> None:
    settings = Settings(
        state_dir=tmp_path / "s",
        cache_dir=tmp_path / "c",
        prometheus={
            "runbook_base_url": "https://git.example/narrmon/blob/main/docs/runbooks/",
            "ui_url": "https://narrmon.example/",
        },
    )
    labels = _rendered_prometheus(settings)["global"]["external_labels"]  # type: ignore[index]
    assert (
        labels["narrmon_runbook_base_url"] == "https://git.example/narrmon/blob/main/docs/runbooks"
    )
    assert labels["narrmon_ui_url"] == "https://narrmon.example"
