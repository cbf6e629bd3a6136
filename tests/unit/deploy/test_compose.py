"""deploy/compose: valid against the Compose specification (vendored JSON schema, offline), every
long-running service health-checked and started in order, narrmon configured only through real
settings, and the Prometheus/Alertmanager/Grafana files it mounts valid."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.deploy.tools import ROOT, run, settings_env_error, tool

COMPOSE_DIR = ROOT / "deploy" / "compose"
COMPOSE = COMPOSE_DIR / "compose.yaml"
SCHEMA = ROOT / "deploy" / "schemas" / "compose-spec.json"
NARRMON_SERVICES = ("worker", "api", "connector")
# One-shot jobs end by design; everything else must say when it is healthy.
ONE_SHOT = {"connector"}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _validate(path: Path) -> tuple[int, str]:
    result = run(tool("check-jsonschema"), "--schemafile", str(SCHEMA), str(path))
    return result.returncode, result.stdout + result.stderr


def test_compose_file_matches_the_compose_specification() -> None:
    code, output = _validate(COMPOSE)
    assert code == 0, output


def test_schema_check_rejects_an_invalid_compose_file(tmp_path: Path) -> None:
    broken = _compose()
    broken["services"]["worker"]["depends_on"]["kafka"]["condition"] = "when_it_feels_like_it"
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    code, output = _validate(path)
    assert code != 0 and "condition" in output


def test_the_stack_has_every_service_the_issue_names() -> None:
    services = set(_compose()["services"])
    expected = {"kafka", "elasticsearch", "prometheus", "alertmanager", "grafana"}
    assert expected | set(NARRMON_SERVICES) <= services


def test_long_running_services_have_healthchecks() -> None:
    services = _compose()["services"]
    missing = [n for n, s in services.items() if n not in ONE_SHOT and "healthcheck" not in s]
    assert missing == []


def test_dependencies_wait_for_health() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert spec["condition"] == "service_healthy", f"{name} -> {dependency}"
            assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"


def test_workers_can_be_scaled() -> None:
    worker = _compose()["services"]["worker"]
    # A fixed container name or host port would make `--scale worker=N` fail.
    assert "container_name" not in worker
    assert "ports" not in worker


def test_worker_replicas_do_not_exceed_partitions() -> None:
    worker = _compose()["services"]["worker"]
    partitions = int(worker["environment"]["NARRMON_TOPICS__PARTITIONS"])
    assert 1 <= worker["deploy"]["replicas"] <= partitions


@pytest.mark.parametrize("service", NARRMON_SERVICES)
def test_narrmon_services_use_the_image_and_real_settings(service: str) -> None:
    spec = _compose()["services"][service]
    assert spec["image"].startswith("narrmon:")
    assert spec["build"]["dockerfile"] == "Dockerfile"
    assert (COMPOSE_DIR / spec["build"]["context"] / "Dockerfile").is_file()
    env = spec["environment"]
    assert [e for name in env if (e := settings_env_error(name))] == []


def test_no_secret_is_inlined() -> None:
    for name, service in _compose()["services"].items():
        env = service.get("environment", {})
        inlined = [k for k in env if any(w in k for w in ("TOKEN", "API_KEY", "PASSWORD"))]
        assert inlined == [] or all(k.endswith("__FILE") for k in inlined), name


def test_bind_mounts_point_at_files_in_the_repo() -> None:
    generated_at_deploy_time = {COMPOSE_DIR / "secrets"}
    for name, service in _compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                continue  # a named volume
            path = (COMPOSE_DIR / source).resolve()
            assert path.exists() or path in generated_at_deploy_time, f"{name}: {source}"


def test_compose_prometheus_config_is_valid() -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool not on PATH (Debian package 'prometheus')"
    result = run(promtool, "check", "config", str(COMPOSE_DIR / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_alertmanager_config_is_valid() -> None:
    amtool = shutil.which("amtool")
    assert amtool, "amtool not on PATH (Debian package 'prometheus-alertmanager')"
    result = run(amtool, "check-config", str(COMPOSE_DIR / "alertmanager.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_gets_the_repo_dashboards_and_the_same_datasource() -> None:
    grafana = _compose()["services"]["grafana"]
    mounts = {
        v.split(":")[1]: (COMPOSE_DIR / v.split(":")[0]).resolve()
        for v in grafana["volumes"]
        if v.startswith(".")
    }
    repo_grafana = ROOT / "deploy" / "grafana"
    provider = yaml.safe_load((repo_grafana / "provisioning/dashboards/narrmon.yaml").read_text())
    dashboards_path = provider["providers"][0]["options"]["path"]
    assert mounts[dashboards_path] == repo_grafana / "dashboards"
    datasource_dir = mounts["/etc/grafana/provisioning/datasources"]
    (ours,) = yaml.safe_load((datasource_dir / "prometheus.yaml").read_text())["datasources"]
    (repo,) = yaml.safe_load(
        (repo_grafana / "provisioning/datasources/prometheus.yaml").read_text()
    )["datasources"]
    assert (ours["name"], ours["uid"], ours["type"]) == (repo["name"], repo["uid"], repo["type"])
    assert ours["url"] == "http://prometheus:9090"
