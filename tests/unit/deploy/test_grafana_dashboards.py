"""Grafana dashboards, validated offline (Grafana is not installable here): sane JSON, datasource
only through the ``${datasource}`` variable, every panel query parses (`promtool check rules` on a
rules file made of the queries) and reads only metrics narrmon defines or rules record; and they
turn red where the alerts fire: thresholds equal to the alert rules' thresholds, per-worker up,
a narrative variable, units that say what is counted, every panel described, links to the
runbooks and the analyst UI, and no total that adds up dead workers' last values."""

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
    "$narrative": ".*",
}
# A panel whose query reads one of these must turn red at the alert's threshold.
ALERT_THRESHOLDS = {
    "topic:narrmon_consumer_lag:sum": 5000,  # PipelineConsumerLagHigh
    "job:narrmon_embed_seconds:p95": 2,  # EmbeddingLatencyHigh
    "narrmon_index_last_success_timestamp_seconds": 120,  # IndexingStalled
    "narrmon_hit_score_bucket": 2,  # CriticalNarrativeHit
    "narrmon_dead_lettered_total[5m])) / ": 0.05,  # DeadLetterRate
    'count(up{job="narrmon-worker"} == 1)': 1,  # NoWorkerUp below 1
    'up{job="narrmon-worker"}': 1,  # WorkerDown below 1
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


def _red_steps(panel: dict[str, Any]) -> set[float]:
    steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
    return {s["value"] for s in steps if s["color"] == "red" and s["value"] is not None}


def _green_steps(panel: dict[str, Any]) -> set[float]:
    steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
    return {s["value"] for s in steps if s["color"] == "green" and s["value"] is not None}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_panel_is_described(path: Path) -> None:
    for panel in _panels(_load(path)):
        assert len(panel.get("description", "")) >= 30, panel["title"]


def test_panels_behind_alerts_turn_red_at_the_alert_threshold() -> None:
    seen = set()
    for path in DASHBOARDS:
        for panel in _panels(_load(path)):
            exprs = " ".join(t["expr"] for t in panel.get("targets", []))
            for needle, value in ALERT_THRESHOLDS.items():
                if needle in exprs:
                    seen.add(needle)
                    # "turns red below" alerts (up) have red as the base and green from the value
                    red_above = value in _red_steps(panel)
                    red_below = value in _green_steps(panel)
                    assert red_above or red_below, f"{path.name}: {panel['title']}: {value}"
                    assert panel.get("links"), f"{panel['title']} has no runbook link"
    assert seen == set(ALERT_THRESHOLDS)


def test_units_say_what_is_counted() -> None:
    for path in DASHBOARDS:
        for panel in _panels(_load(path)):
            unit = panel["fieldConfig"]["defaults"]["unit"]
            assert unit != "reqps", panel["title"]
            exprs = " ".join(t["expr"] for t in panel.get("targets", []))
            if re.search(r"rate1m|rate5m|rate\(", exprs) and "/min" not in unit:
                assert unit.endswith("/s") or unit == "percentunit", (panel["title"], unit)


def test_workers_up_counts_live_workers_and_shows_each_instance() -> None:
    exprs = [expr for _, expr in _exprs()]
    assert not [e for e in exprs if re.search(r"sum\(up\b", e)], "sum(up) counts 0s as absent"
    per_instance = [
        t
        for path in DASHBOARDS
        for panel in _panels(_load(path))
        for t in panel.get("targets", [])
        if t["expr"] == 'up{job="narrmon-worker"}'
    ]
    assert per_instance and "{{instance}}" in per_instance[0]["legendFormat"]


def test_no_total_adds_up_raw_counters() -> None:
    """A sum of raw counters keeps a dead worker's last value for 5 minutes and drops to zero on
    restarts; totals must come from increase() or rate()."""
    for where, expr in _exprs():
        code = re.sub(r"(increase|rate)\([^()]*\[[^\]]+\]\)", "", expr)
        assert not re.search(r"narrmon_\w+_total\b", code), where


def test_narratives_dashboard_filters_by_narrative() -> None:
    dashboard = _load(GRAFANA / "dashboards" / "narratives.json")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert "narrmon_hits_total" in variables["narrative"]["definition"]
    assert variables["narrative"]["multi"] and variables["narrative"]["includeAll"]
    for panel in _panels(dashboard):
        for target in panel["targets"]:
            assert 'narrative=~"$narrative"' in target["expr"], panel["title"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_links_to_the_ui_and_runbooks(path: Path) -> None:
    dashboard = _load(path)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["ui_url"]["type"] == "textbox"
    assert variables["runbook_base"]["type"] == "textbox"
    urls = [link["url"] for link in dashboard["links"] if "url" in link]
    assert any(u.startswith("${ui_url}") for u in urls)
    assert any(u.startswith("${runbook_base}") for u in urls)
    runbooks = ROOT / "docs" / "runbooks"
    for panel in _panels(dashboard):
        for link in panel.get("links", []):
            name = link["url"].removeprefix("${runbook_base}/")
            assert (runbooks / name).is_file(), link["url"]
