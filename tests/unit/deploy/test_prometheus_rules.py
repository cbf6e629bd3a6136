"""Prometheus rules: syntax (`promtool check rules`), behaviour (`promtool test rules`), and the
conventions on-call relies on (labels, annotations, runbooks, metric names)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.deploy.promql_names import is_defined, used_metrics, used_recorded

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "deploy" / "prometheus" / "rules"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests"
REQUIRED_ALERTS = {
    "NarrativeSpike",
    "CriticalNarrativeHit",
    "PipelineConsumerLagHigh",
    "ConnectorSilent",
    "IndexingErrors",
    "DeadLetterRate",
    "WorkerDown",
    "NoWorkerUp",
    "EmbeddingLatencyHigh",
    "IndexingStalled",
    "ConnectorBrokerUnreachable",
    "ElectionWorkerTargeted",
    "CoordinatedPosting",
    "EmergingNarrative",
}
RUNBOOK_BASE = "{{ $externalLabels.narrmon_runbook_base_url }}"
UI_URL = "{{ $externalLabels.narrmon_ui_url }}"
PROMTOOL = shutil.which("promtool")


def _rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules += group["rules"]
    return rules


def _alerts() -> list[dict[str, Any]]:
    return [r for r in _rules() if "alert" in r]


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL, "promtool not on PATH (Debian package 'prometheus'; scripts/bootstrap.sh)"
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_promtool_check_rules() -> None:
    result = _promtool("check", "rules", *map(str, sorted(RULES.glob("*.yml"))))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    files = sorted(RULE_TESTS.glob("*.yml"))
    assert files
    result = _promtool("test", "rules", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_required_alert_exists_and_has_a_unit_test() -> None:
    names = {a["alert"] for a in _alerts()}
    assert names >= REQUIRED_ALERTS
    tested: set[str] = set()
    for path in RULE_TESTS.glob("*.yml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    tested.add(check["alertname"])
    assert names <= tested, f"alerts never shown firing in a unit test: {names - tested}"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda a: a["alert"])
def test_alert_has_labels_annotations_and_an_absolute_runbook(alert: dict[str, Any]) -> None:
    assert {"severity", "team"} <= set(alert["labels"])
    assert alert["labels"]["team"] in {"platform", "trust-safety"}
    assert {"summary", "description", "runbook_url"} <= set(alert["annotations"])
    # Absolute: built from an external label the rendered Prometheus config sets to a URL.
    assert alert["annotations"]["runbook_url"] == f"{RUNBOOK_BASE}/{alert['alert']}.md"
    assert (ROOT / "docs" / "runbooks" / f"{alert['alert']}.md").is_file()


@pytest.mark.parametrize(
    "alert", [a for a in _alerts() if "narrative" in a["expr"]], ids=lambda a: a["alert"]
)
def test_narrative_alerts_link_to_their_hits_in_the_ui(alert: dict[str, Any]) -> None:
    hits_url = alert["annotations"]["hits_url"]
    assert hits_url.startswith(f"{UI_URL}/?narrative={{{{ $labels.narrative | urlquery }}}}")
    assert "{{ $labels.narrative }}" in alert["annotations"]["summary"]
    assert "narrative" in alert["labels"] or "narrative" in alert["expr"].split("by (")[1]


def test_severity_critical_only_where_a_responder_must_act_now() -> None:
    """Paging alerts are few and named here on purpose: adding one is a decision."""
    critical = {a["alert"] for a in _alerts() if a["labels"]["severity"] == "critical"}
    assert critical == {
        "CriticalNarrativeHit",
        "IndexingStalled",
        "NoWorkerUp",
        "ConnectorBrokerUnreachable",
        "ElectionWorkerTargeted",
    }
    spike = next(a for a in _alerts() if a["alert"] == "NarrativeSpike")
    assert "critical" in spike["labels"]["severity"]  # only for critical narratives (templated)


def test_critical_narrative_hit_counts_promoting_high_score_hits_only() -> None:
    rule = next(a for a in _alerts() if a["alert"] == "CriticalNarrativeHit")
    expr = rule["expr"]
    assert expr.count('stance="promotes"') == expr.count("narrmon_hit_score_bucket")
    assert 'le="0.65"' in expr and ">= 2" in expr
    assert "narrmon_hits_total" not in expr


def test_every_metric_in_rules_is_defined() -> None:
    recorded = {r["record"] for r in _rules() if "record" in r}
    for rule in _rules():
        expr = rule["expr"]
        undefined = {m for m in used_metrics(expr) if not is_defined(m)}
        assert not undefined, f"{rule.get('alert') or rule.get('record')}: {undefined}"
        assert used_recorded(expr) <= recorded


def test_name_check_catches_a_typo() -> None:
    assert is_defined("narrmon_hits_total")
    assert is_defined("narrmon_end_to_end_seconds_bucket")
    assert not is_defined("narrmon_hitz_total")
    assert used_metrics('sum(rate(narrmon_hits_total{narrative="narrmon_x"}[5m]))') == {
        "narrmon_hits_total"
    }
