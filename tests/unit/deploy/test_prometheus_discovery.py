"""Prometheus finds any number of workers without the local stack: the single-host example, the
compose config and the Kubernetes monitors are valid and put workers and connectors under the job
names the alert rules select."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.deploy.tools import ROOT, find, rendered, run

EXAMPLE = ROOT / "deploy" / "prometheus" / "examples" / "single-host.yml"
COMPOSE_PROMETHEUS = ROOT / "deploy" / "compose" / "prometheus.yml"
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))


def _jobs_in_rules() -> set[str]:
    text = "\n".join(p.read_text() for p in RULES)
    return set(re.findall(r'job="([^"]+)"', text))


def _job_names(path: Path) -> set[str]:
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    names = set()
    for job in config["scrape_configs"]:
        renamed = [
            r["replacement"]
            for r in job.get("relabel_configs", [])
            if r.get("target_label") == "job"
        ]
        names.add(renamed[-1] if renamed else job["job_name"])
    return names


def test_rules_select_the_worker_job() -> None:
    assert "narrmon-worker" in _jobs_in_rules()


@pytest.mark.parametrize("path", [EXAMPLE, COMPOSE_PROMETHEUS], ids=lambda p: p.name)
def test_config_is_valid_and_scrapes_the_jobs_the_rules_use(path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool not on PATH (Debian package 'prometheus')"
    result = run(promtool, "check", "config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert _jobs_in_rules() | {"narrmon-connector"} <= _job_names(path)


def test_compose_discovers_every_replica_through_dns() -> None:
    config = yaml.safe_load(COMPOSE_PROMETHEUS.read_text())
    worker = next(j for j in config["scrape_configs"] if j["job_name"] == "narrmon-worker")
    (dns,) = worker["dns_sd_configs"]
    assert dns["names"] == ["worker"] and dns["type"] == "A" and dns["port"] == 29100


def test_kubernetes_monitors_scrape_workers_and_connectors_under_the_rule_job_names() -> None:
    docs = rendered("prod")
    monitor = find(docs, "ServiceMonitor", "narrmon-worker")
    service = find(docs, "Service", "narrmon-worker")
    # prometheus-operator names a ServiceMonitor's job after the Service (no jobLabel set).
    assert "jobLabel" not in monitor["spec"]
    assert service["metadata"]["name"] in _jobs_in_rules()
    assert service["spec"]["clusterIP"] == "None"  # one endpoint per worker pod
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    worker = find(docs, "Deployment", "narrmon-worker")
    port = worker["spec"]["template"]["spec"]["containers"][0]["ports"][0]
    assert (
        monitor["spec"]["endpoints"][0]["port"]
        == port["name"]
        == service["spec"]["ports"][0]["name"]
    )

    pods = find(docs, "PodMonitor", "narrmon-connector")
    connector = find(docs, "Deployment", "narrmon-connector-demo")["spec"]["template"]["metadata"]
    assert connector["labels"][pods["spec"]["jobLabel"]] == "narrmon-connector"
    assert pods["spec"]["selector"]["matchLabels"].items() <= connector["labels"].items()
