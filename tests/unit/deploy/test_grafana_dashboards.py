"""Grafana dashboards, validated offline (Grafana is not installable here): sane JSON, datasource
only through the ``${datasource}`` variable, every panel query parses (`promtool check rules` on a
rules file made of the queries) and reads only metrics narrmon defines or rules record."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.deploy.promql_names import is_defined, used_metrics, used_recorded

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
RULES = ROOT / "deploy" / "prometheus" / "rules"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

# What Grafana substitutes before a query reaches Prometheus.
_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "$severity": ".*",
}


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels += panel.get("panels", [])  # collapsed rows
    return panels


def _exprs() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        for panel in _panels(_load(path)):
            for target in panel.get("targets", []):
                found.append((f"{path.name}#{panel['id']}{target['refId']}", target["expr"]))
    return found


def _grafana_to_promql(expr: str) -> str:
    for name, value in _VARIABLES.items():
        expr = expr.replace(name, value)
    assert not re.search(r"\$\w", expr), f"unknown Grafana variable in {expr!r}"
    return expr


def test_the_two_dashboards_exist() -> None:
    titles = {_load(p)["title"] for p in DASHBOARDS}
    assert any("Pipeline health" in t for t in titles)
    assert any("Narratives" in t for t in titles)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_schema_is_sane(path: Path) -> None:
    dashboard = _load(path)
    assert dashboard["uid"] and len(dashboard["uid"]) <= 40
    assert isinstance(dashboard["schemaVersion"], int)
    panels = _panels(dashboard)
    assert panels
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        assert panel["title"]
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            ref_ids = [t["refId"] for t in panel["targets"]]
            assert len(ref_ids) == len(set(ref_ids))


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_datasource_only_through_the_template_variable(path: Path) -> None:
    dashboard = _load(path)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in _panels(dashboard):
        assert panel["datasource"] == DATASOURCE, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"] == DATASOURCE
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE


def test_every_panel_query_parses(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool not on PATH"
    rules = [
        {"record": f"dashboard:query_{i}:check", "expr": _grafana_to_promql(expr)}
        for i, (_, expr) in enumerate(_exprs())
    ]
    assert len(rules) >= 15
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_used_exists() -> None:
    recorded = set()
    for rules_file in RULES.glob("*.yml"):
        for group in yaml.safe_load(rules_file.read_text())["groups"]:
            recorded |= {r["record"] for r in group["rules"] if "record" in r}
    for where, expr in _exprs():
        undefined = {m for m in used_metrics(expr) if not is_defined(m)}
        assert not undefined, f"{where}: {undefined}"
        unknown = used_recorded(expr) - recorded
        assert not unknown, f"{where}: recording rules not defined: {unknown}"


def test_provisioning_files() -> None:
    datasources = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )
    assert datasources["apiVersion"] == 1
    assert [d["type"] for d in datasources["datasources"]] == ["prometheus"]
    providers = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "narrmon.yaml").read_text()
    )
    assert providers["apiVersion"] == 1
    assert providers["providers"][0]["type"] == "file"
