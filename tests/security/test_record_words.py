"""Every word Varsel records about itself has its Swedish label (app/vocabulary_records.py).

The audit actions are read from the source: every call of `audit.record` (and of the
few helpers that pass their `action` on to it), with the action as a string, or as
one of the two f-strings whose values come from the vocabulary (a case command, a
landlord's event). A new action without a label, or a new way of building one, fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app.cases.service import COMMAND_ROLES
from app.vocabulary import LandlordEvent
from app.vocabulary_records import (
    AUDIT_ACTIONS,
    DELIVERY_FAILURE_ADVICE,
    DELIVERY_FAILURES,
    MESSAGE_TEMPLATES,
    OBJECT_TYPES,
    PERMANENT_FAILURES,
    DeliveryFailure,
    audit_action_label,
)

REPO = Path(__file__).resolve().parents[2]
SOURCES = [p for package in ("app", "integrations", "notifications") for p in (REPO / package).rglob("*.py")]
# Helpers that take the action as their third argument and pass it to audit.record.
FORWARDERS = {"_audit", "_audit_read"}
# The f-strings an action is built with, and the values they take.
BUILT = {
    "case.{command}": {f"case.{command}" for command in COMMAND_ROLES},
    "notice.event.{event.type}": {f"notice.event.{event.value}" for event in LandlordEvent},
}


def _calls() -> list[tuple[Path, ast.Call]]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "record" and isinstance(func.value, ast.Name)
                    and func.value.id == "audit") or (isinstance(func, ast.Name) and func.id in FORWARDERS):
                found.append((path, node))
    return found


def _fstring(node: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
                   for part in node.values)


def recorded_actions() -> set[str]:
    actions: set[str] = set()
    for path, call in _calls():
        action = call.args[2] if len(call.args) > 2 else None
        where = f"{path.relative_to(REPO)}:{call.lineno}"
        if isinstance(action, ast.Constant) and isinstance(action.value, str):
            actions.add(action.value)
        elif isinstance(action, ast.JoinedStr):
            pattern = _fstring(action)
            assert pattern in BUILT, f"{where}: an action built as f{pattern!r}: add its values to BUILT"
            actions |= BUILT[pattern]
        else:
            # Only a forwarder passes a variable on, and its own callers are read above.
            assert isinstance(action, ast.Name) and action.id == "action", f"{where}: an action this test cannot read"
    return actions


def test_the_source_is_read():
    actions = recorded_actions()
    # A sample of each way of recording, so that a parser that finds nothing cannot pass.
    assert {"case.view", "case.search", "case.close", "notice.event.rent_paid", "admin.user.create",
            "portal.notice.read", "audit.read", "web.sign_in"} <= actions
    assert len(actions) > 50


def test_every_recorded_audit_action_has_a_swedish_label():
    missing = sorted(recorded_actions() - AUDIT_ACTIONS.keys())
    assert not missing, f"audit actions without a label in app/vocabulary_records.py: {missing}"


def test_the_labels_are_swedish_sentences_not_codes():
    for code, label in AUDIT_ACTIONS.items():
        assert label and label[0].isupper() and "." not in label and "_" not in label, (code, label)
    assert audit_action_label("case.view") == "Öppnade ärendet"
    assert audit_action_label("case.search") == "Sökte i kön"
    assert audit_action_label("something.new") == "Annan händelse"  # never the code itself


def test_every_object_type_the_code_records_has_a_label():
    types = set()
    for path in SOURCES:
        types |= set(re.findall(r'object_type="([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert types and not types - OBJECT_TYPES.keys(), sorted(types - OBJECT_TYPES.keys())


def test_every_delivery_failure_has_a_label_and_advice_and_the_permanent_ones_are_named():
    assert set(DELIVERY_FAILURES) == set(DELIVERY_FAILURE_ADVICE) == set(DeliveryFailure)
    assert {kind.value for kind in PERMANENT_FAILURES} == {
        "no_recipient", "recipient_refused", "rejected", "case_gone", "letter_not_produced"}
    assert not DeliveryFailure.UNKNOWN.permanent and not DeliveryFailure.PDF_UNAVAILABLE.permanent


def test_every_permanent_failure_a_channel_raises_names_its_kind():
    # PermanentFailure("…") without a kind would be recorded as "rejected": each channel says which it is.
    for path in [REPO / "notifications" / "email.py", REPO / "app" / "jobs" / "channels.py"]:
        for call in [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)]:
            if isinstance(call.func, ast.Name) and call.func.id == "PermanentFailure":
                assert len(call.args) == 2, f"{path.name}:{call.lineno}: PermanentFailure without its kind"


def test_every_message_template_has_a_label():
    templates = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        templates |= set(re.findall(r'template="([a-z_]+)"', text))
        templates |= set(re.findall(r'"template": "([a-z_]+)"', text))
        templates |= set(re.findall(r'_letter\(case, "([a-z_]+)"', text))
        templates |= set(re.findall(r'^TEMPLATE = "([a-z_]+)"', text, re.M))
    templates |= {p.stem for p in (REPO / "notifications" / "templates" / "email").glob("*.txt")}
    assert {"deadline_reminder", "tenant_redemption_letter", "kronofogden_acknowledgement", "monthly_report"} <= templates
    assert not templates - MESSAGE_TEMPLATES.keys(), sorted(templates - MESSAGE_TEMPLATES.keys())
