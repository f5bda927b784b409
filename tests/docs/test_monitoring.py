"""docs/monitoring/: the alert rules and the Grafana dashboard load, and name only metrics Varsel exports;
docs/operations.md lists every metric Varsel exports."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.conftest import IS_POSTGRES
from tests.docs.conftest import DOCS

MONITORING = DOCS / "monitoring"
RULES = yaml.safe_load((MONITORING / "varsel-alerts.yml").read_text(encoding="utf-8"))
DASHBOARD = json.loads((MONITORING / "varsel-dashboard.json").read_text(encoding="utf-8"))
OURS = re.compile(r"\b((?:varsel|process|python)_[a-z0-9_]+)\b")


@pytest.fixture
def families(client) -> dict[str, str]:
    """Every metric /metrics declares, with its type (a family without samples yet included)."""
    answer = client.get("/metrics")
    assert answer.status_code == 200
    declared = dict(re.findall(r"^# TYPE (\S+) (\S+)$", answer.text, re.M))
    # Read from PostgreSQL's lock table, so declared on PostgreSQL only (where this test sees it itself).
    assert ("varsel_scheduler_leaders" in declared) == IS_POSTGRES
    declared.setdefault("varsel_scheduler_leaders", "gauge")
    return declared


@pytest.fixture
def exported(families) -> set[str]:
    """Every series name /metrics can show."""
    names: set[str] = set()
    for name, kind in families.items():
        names.add(name)
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
        elif kind == "summary":
            names |= {f"{name}_count", f"{name}_sum"}
        elif kind == "counter" and not name.endswith("_total"):
            names.add(f"{name}_total")
    return names


def _balanced(expr: str) -> bool:
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    for char in expr:
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                return False
    return not any(depth.values())


def _rules() -> list[dict]:
    return [rule for group in RULES["groups"] for rule in group["rules"]]


def test_the_alert_rules_are_prometheus_rule_groups_with_what_an_operator_needs():
    rules = _rules()
    assert len({rule["alert"] for rule in rules}) == len(rules)
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert _balanced(rule["expr"]), rule["alert"]
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"])


def test_the_alerts_the_operator_asked_for_are_there():
    rules = {rule["alert"]: rule for rule in _rules()}
    assert 'statutory="true"' in rules["VarselStatutoryDeadlineMissed"]["expr"]
    assert "varsel_deadlines_missed_total" in rules["VarselStatutoryDeadlineMissed"]["expr"]
    assert rules["VarselOutboxStuck"]["expr"].endswith("> 900")  # 15 minutes
    assert "varsel_scheduler_leader" in rules["VarselNoSchedulerLeader"]["expr"]
    assert rules["VarselNoSchedulerLeader"]["for"] == "5m"
    assert 'status="failed"' in rules["VarselDeliveriesFailed"]["expr"]


def test_the_rules_name_only_metrics_varsel_exports(exported):
    for rule in _rules():
        named = set(OURS.findall(rule["expr"]))
        assert named, rule["alert"]
        assert named <= exported, (rule["alert"], named - exported)


def test_the_dashboard_is_importable_and_names_only_metrics_varsel_exports(exported):
    assert DASHBOARD["title"] == "Varsel" and DASHBOARD["uid"]
    assert [i["name"] for i in DASHBOARD["__inputs"]] == ["DS_PROMETHEUS"]  # Grafana asks for the data source
    targets = [t for panel in DASHBOARD["panels"] for t in panel.get("targets", [])]
    named: set[str] = set()
    for target in targets:
        assert _balanced(target["expr"]) and target["datasource"]["uid"] == "${DS_PROMETHEUS}"
        found = set(OURS.findall(target["expr"]))
        assert found <= exported, (target["expr"], found - exported)
        named |= found
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(set(ids)) == len(ids)
    assert {"varsel_job_runs_total", "varsel_job_duration_seconds_bucket", "varsel_outbox_messages",
            "varsel_outbox_oldest_due_age_seconds", "varsel_scheduler_leader", "varsel_notices_received_total",
            "varsel_deadlines_missed_total", "varsel_deliveries_total", "process_resident_memory_bytes"} <= named


def test_operations_md_lists_every_varsel_metric(families):
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"\| `(varsel_[a-z0-9_]+)` \| (\w+) \|", text))
    ours = {(name, kind) for name, kind in families.items() if name.startswith("varsel_")}
    assert ours <= documented, ours - documented
