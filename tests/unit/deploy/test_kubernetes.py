"""deploy/k8s: every overlay renders with kustomize and validates offline (core kinds with
kubernetes-validate's schemas, the Strimzi/ECK/KEDA/prometheus-operator kinds with kubeconform and
the vendored CRD schemas), the generated monitoring matches the files the repo tests, and the
deployment rules hold (workers <= partitions, secrets referenced, resources set)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.unit.deploy.tools import (
    OVERLAYS,
    ROOT,
    find,
    rendered,
    run,
    settings_env_error,
    tool,
)

CRD_SCHEMAS = ROOT / "deploy" / "schemas" / "crds"
KUBERNETES_VERSION = "1.33.0"
SECRET_WORDS = ("TOKEN", "API_KEY", "PASSWORD", "SECRET")


def _is_custom(doc: dict[str, Any]) -> bool:
    """True for the operators' kinds, whose schemas are vendored under deploy/schemas/crds."""
    api_version: str = doc["apiVersion"]
    return "/" in api_version and (CRD_SCHEMAS / api_version.split("/", maxsplit=1)[0]).is_dir()


def _kubeconform(path: Path) -> tuple[int, str]:
    location = str(CRD_SCHEMAS) + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    result = run(
        tool("kubeconform"), "-strict", "-summary", "-schema-location", location, str(path)
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_validate_against_the_vendored_crd_schemas(
    overlay: str, tmp_path: Path
) -> None:
    custom = [d for d in rendered(overlay) if _is_custom(d)]
    kinds = {d["kind"] for d in custom}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "Elasticsearch", "ScaledObject"} <= kinds
    assert {"PrometheusRule", "ServiceMonitor", "PodMonitor"} <= kinds
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump_all(custom))
    code, output = _kubeconform(path)
    assert code == 0, output
    assert f"Valid: {len(custom)}," in output


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_core_resources_validate_against_kubernetes_schemas(overlay: str) -> None:
    core = [d for d in rendered(overlay) if not _is_custom(d)]
    assert {d["kind"] for d in core} >= {"Deployment", "Service", "Ingress", "ConfigMap"}
    for doc in core:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_crd_validation_rejects_a_bad_custom_resource(tmp_path: Path) -> None:
    topic = dict(find(rendered("dev"), "KafkaTopic", "posts"))
    topic["spec"] = {**topic["spec"], "partitions": "six", "retentionDays": 7}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(topic))
    code, output = _kubeconform(path)
    assert code != 0
    assert "partitions" in output or "retentionDays" in output


def test_core_validation_rejects_a_bad_deployment() -> None:
    deployment = json.loads(json.dumps(find(rendered("dev"), "Deployment", "narrmon-worker")))
    deployment["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_generated_files_are_up_to_date() -> None:
    result = run(sys.executable, str(ROOT / "scripts" / "render_deploy.py"), "--check")
    assert result.returncode == 0, result.stderr


def test_prometheus_rule_groups_are_the_tested_rule_files() -> None:
    expected: list[dict[str, Any]] = []
    for path in sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml")):
        expected += yaml.safe_load(path.read_text())["groups"]
    for overlay in OVERLAYS:
        rule = find(rendered(overlay), "PrometheusRule", "narrmon")
        assert rule["spec"]["groups"] == expected


def test_dashboards_are_sidecar_configmaps_of_the_repo_dashboards() -> None:
    files = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
    maps = [
        d
        for d in rendered("prod")
        if d["kind"] == "ConfigMap" and d["metadata"].get("labels", {}).get("grafana_dashboard")
    ]
    assert all(m["metadata"]["labels"]["grafana_dashboard"] == "1" for m in maps)
    found = {name: json.loads(text) for m in maps for name, text in m["data"].items()}
    assert found == {f.name: json.loads(f.read_text()) for f in files}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workers_never_outnumber_posts_partitions(overlay: str) -> None:
    docs = rendered(overlay)
    partitions = find(docs, "KafkaTopic", "posts")["spec"]["partitions"]
    worker = find(docs, "Deployment", "narrmon-worker")
    scaler = find(docs, "ScaledObject", "narrmon-worker")
    assert worker["spec"]["replicas"] <= partitions
    assert scaler["spec"]["minReplicaCount"] <= scaler["spec"]["maxReplicaCount"] <= partitions
    settings = next(
        d for d in docs if d["kind"] == "ConfigMap" and "narrmon-settings" in d["metadata"]["name"]
    )
    assert int(settings["data"]["NARRMON_TOPICS__PARTITIONS"]) == partitions
    (trigger,) = scaler["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["topic"] == find(docs, "KafkaTopic", "posts")["spec"]["topicName"]
    assert trigger["metadata"]["consumerGroup"] == settings["data"]["NARRMON_WORKER__APP_ID"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_topics_have_partitions_and_retention(overlay: str) -> None:
    topics = {
        d["spec"]["topicName"]: d["spec"] for d in rendered(overlay) if d["kind"] == "KafkaTopic"
    }
    assert set(topics) == {
        "posts",
        "hits",
        "hits.by-narrative",
        "posts.dlq",
        "narrative.spikes",
        "reviews",
    }
    for spec in topics.values():
        assert spec["partitions"] >= 1
        assert int(spec["config"]["retention.ms"]) > 0
    # Faust co-partitions the spike table with hits.by-narrative and assigns equal partition
    # numbers of posts, hits and hits.by-narrative to one worker: the counts must agree.
    assert topics["posts"]["partitions"] == topics["hits"]["partitions"]
    assert topics["hits.by-narrative"]["partitions"] == topics["posts"]["partitions"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_settings_are_real_narrmon_settings(overlay: str) -> None:
    docs = rendered(overlay)
    names = [
        k
        for d in docs
        if d["kind"] == "ConfigMap" and "narrmon-settings" in d["metadata"]["name"]
        for k in d["data"]
    ]
    names += [
        e["name"]
        for d in docs
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
        for e in c.get("env", [])
    ]
    assert names
    assert [e for n in names if (e := settings_env_error(n))] == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_inlined(overlay: str) -> None:
    docs = rendered(overlay)
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "Secret"] == []
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            assert not [k for k in doc.get("data", {}) if any(w in k for w in SECRET_WORDS)]
        if doc["kind"] != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                if any(w in env["name"] for w in SECRET_WORDS):
                    assert "value" not in env and "secretKeyRef" in env["valueFrom"], env


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits_and_runs_as_non_root(overlay: str) -> None:
    for doc in rendered(overlay):
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), doc["metadata"]["name"]
            assert "memory" in resources["limits"], doc["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_disruption_budgets_cover_worker_and_api(overlay: str) -> None:
    docs = rendered(overlay)
    for name in ("narrmon-worker", "narrmon-api"):
        budget = find(docs, "PodDisruptionBudget", name)
        labels = find(docs, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        selector = budget["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items()


def test_api_is_exposed_through_service_and_ingress() -> None:
    docs = rendered("prod")
    service = find(docs, "Service", "narrmon-api")
    ingress = find(docs, "Ingress", "narrmon-api")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert ingress["spec"]["tls"][0]["secretName"]
