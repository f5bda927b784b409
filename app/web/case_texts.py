"""The case page in words: the timeline's entries and what a saved form says, in Swedish, with people by name.

The page gets the case as `app/cases/views.py: case_detail` gives it (the same
dict as the staff API) and the names of the staff who appear in it; nothing
here reads the database. Codes become labels from `app/vocabulary.py`, amounts
and dates go through the filters of `app/web/templating.py`.
"""

from __future__ import annotations

from typing import Any

from app.vocabulary import (
    CaseStatus,
    ContactChannel,
    DeadlineKind,
    Flag,
    LandlordEvent,
    NoticeKind,
    Outcome,
    Priority,
    TimelineType,
    Unit,
    label,
    resolution_label,
)
from app.web.templating import datum, kr, plural, when

SYSTEM_NAME = "Varsel (automatiskt)"


def actor_name(event: dict[str, Any], names: dict[str, str]) -> str:
    if event.get("actor_kind") == "system":
        return SYSTEM_NAME
    name = event.get("actor")
    return names.get(name, name) if name else "–"


def _reached(reached: bool) -> str:
    return "nådd" if reached else "inte nådd"


def _household(children: Any, seniors: Any) -> str:
    kids = "okänt antal barn" if children is None else plural(int(children), "barn under 18 år", "barn under 18 år")
    old = ("okänt antal personer 65 år eller äldre" if seniors is None
           else plural(int(seniors), "person 65 år eller äldre", "personer 65 år eller äldre"))
    return f"{kids}, {old}"


def _contact_note(event: dict[str, Any], contacts: list[dict[str, Any]]) -> str | None:
    at = event["at"][:16]
    return next((c["note"] for c in contacts if c["at"][:16] == at and c["note"]), None)


def timeline_entries(case: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """Newest first: when, what (a Swedish sentence), a free-text note if any, and who."""
    notices = {n["id"]: n for n in case["notices"]}
    entries = []
    for event in case["timeline"]:
        text, note = _describe(event, case, notices, names)
        entries.append({"at": event["at"], "when": when(event["at"]), "text": text, "note": note,
                        "actor": actor_name(event, names), "type": event["type"]})
    return entries[::-1]


def _describe(event: dict[str, Any], case: dict[str, Any], notices: dict[str, Any],
              names: dict[str, str]) -> tuple[str, str | None]:
    kind, data = event["type"], event.get("data") or {}
    title = label(TimelineType, kind, "Händelse")
    deadline = label(DeadlineKind, data.get("kind"), "tidsfrist").lower() if "kind" in data else None
    if kind == TimelineType.NOTICE_RECEIVED:
        notice = notices.get(event.get("notice_id") or "", {})
        what = f"{title}: {label_kind(data.get('kind'))}"
        ref = data.get("external_id") or notice.get("external_id")
        return (f"{what} (hyresvärdens referens {ref})" if ref else what), None
    if kind == TimelineType.CASE_ASSESSED:
        flags = ", ".join(label(Flag, f).lower() for f in data.get("flags", []))
        return f"{title}: {label(Priority, data.get('priority')).lower()} prioritet" + (f" ({flags})" if flags else ""), None
    if kind in (TimelineType.JOINT_ASSESSMENT_REQUESTED, TimelineType.JOINT_ASSESSMENT_ACCEPTED,
                TimelineType.JOINT_ASSESSMENT_COMPLETED):
        return f"{title}: {label(Unit, data.get('unit')).lower()}", data.get("reason")
    if kind == TimelineType.ASSIGNED:
        to = names.get(data.get("to") or "", data.get("to") or "–")
        return f"Ärendet tilldelat {to}", None
    if kind == TimelineType.CONTACT_ATTEMPT:
        channel = label(ContactChannel, data.get("channel")).lower()
        return f"Kontaktförsök: {channel}, {_reached(bool(data.get('reached')))}", \
            _contact_note(event, case["contact_attempts"])
    if kind == TimelineType.PAYMENT_COMMITMENT:
        within = "" if data.get("statutory", True) else " – inte inom återvinningsfristen"
        return (f"{title}: {kr(data.get('amount_sek'))}, täcker hyran till och med "
                f"{datum(data.get('covers_until'))}{within}"), None
    if kind == TimelineType.CASE_CLOSED:
        return f"{title}: {label(Outcome, data.get('outcome')).lower()}", data.get("note")
    if kind == TimelineType.CASE_REOPENED:
        back = [label(DeadlineKind, k).lower() for k in data.get("deadlines_reinstated", [])]
        text = "Ärendet öppnat igen" + (f"; gäller igen: {', '.join(back)}" if back else "")
        return text, data.get("reason")
    if kind in (TimelineType.DEADLINE_MET, TimelineType.DEADLINE_MISSED, TimelineType.DEADLINE_CANCELLED):
        return f"{title}: {deadline} – {resolution_label(data.get('resolution'))}", None
    if kind == TimelineType.DEADLINE_RECOMPUTED:
        estimate = " (preliminärt)" if data.get("estimated") else ""
        return f"{title}: {deadline}, nu {datum(data.get('due'))}{estimate}", None
    if kind in (TimelineType.DEADLINE_ESCALATION_NOTIFIED, TimelineType.DEADLINE_MISSED_NOTIFIED):
        told = plural(int(data.get("recipients") or 0), "mottagare", "mottagare")
        return f"{title}: {deadline} ({told})", None
    if kind == TimelineType.LANDLORD_EVENT:
        return f"{title}: {label(LandlordEvent, data.get('type')).lower()} ({datum(data.get('occurred_on'))})", None
    if kind in (TimelineType.ROUTED_MANUALLY, TimelineType.ROUTED_BY_GEOCODER):
        district = case.get("district") or {}
        name = district.get("name") if district.get("code") == data.get("district") else data.get("district")
        return f"{title} till {name}", None
    if kind == TimelineType.KRONOFOGDEN_EVICTION_NOTICE:
        return f"{title}: avhysning {when(data.get('eviction_at'))}", None
    if kind == TimelineType.KRONOFOGDEN_ACKNOWLEDGED:
        handler = names.get(data.get("handler") or "", data.get("handler"))
        return title + (f" (ansvarig handläggare {handler})" if handler else ""), None
    if kind == TimelineType.HOUSEHOLD_LOOKUP:
        if data.get("outcome") == "found":
            return f"{title}: {_household(data.get('children'), data.get('seniors'))}", None
        return f"{title}: hushållet hittades inte", None
    if kind == TimelineType.HOUSEHOLD_SET:
        return f"{title}: {_household(data.get('children'), data.get('seniors'))}", None
    return title, None


def label_kind(code: str | None) -> str:
    return label(NoticeKind, code, "underrättelse").lower()


def saved_message(code: str | None, case: dict[str, Any], names: dict[str, str], username: str) -> str | None:
    """What the form the user just sent did, said from the case's timeline (their own latest entry of that kind)."""
    wanted = {"tilldelat": TimelineType.ASSIGNED, "kontakt": TimelineType.CONTACT_ATTEMPT,
              "atagande": TimelineType.PAYMENT_COMMITMENT, "hushall": TimelineType.HOUSEHOLD_SET,
              "avslutat": TimelineType.CASE_CLOSED, "budget": TimelineType.DEADLINE_MET, "oppnat": TimelineType.CASE_REOPENED,
              "bedomning": (TimelineType.JOINT_ASSESSMENT_ACCEPTED, TimelineType.JOINT_ASSESSMENT_COMPLETED)}.get(code or "")
    if wanted is None:
        return None
    kinds = wanted if isinstance(wanted, tuple) else (wanted,)
    event = next((e for e in reversed(case["timeline"]) if e["type"] in kinds and e.get("actor") == username), None)
    if event is None:
        return None
    data = event.get("data") or {}
    if event["type"] == TimelineType.CASE_CLOSED:
        cancelled = [e for e in case["timeline"] if e["type"] == TimelineType.DEADLINE_CANCELLED
                     and e["at"] == event["at"]]
        stopped = plural(len(cancelled), "tidsfrist avbröts", "tidsfrister avbröts") if cancelled else \
            "inga tidsfrister löpte"
        return f"Ärendet avslutat: {label(Outcome, data.get('outcome')).lower()}. {stopped.capitalize()}."
    if event["type"] == TimelineType.CASE_REOPENED:
        status = label(CaseStatus, case["status"]).lower()
        text, _ = _describe(event, case, {}, names)
        return f"{text}. Ärendet är {status}."
    if event["type"] == TimelineType.DEADLINE_MET and data.get("resolution") == "offered":
        return "Erbjudande om budget- och skuldrådgivning registrerat."
    if event["type"] == TimelineType.CONTACT_ATTEMPT:
        channel = label(ContactChannel, data.get("channel")).lower()
        return f"Kontaktförsök registrerat: {channel}, {_reached(bool(data.get('reached')))}."
    if event["type"] == TimelineType.PAYMENT_COMMITMENT:
        text, _ = _describe(event, case, {}, names)
        letter = " Brevet till hyresvärden skickas." if data.get("statutory", True) else \
            " Brevet till hyresvärden skickas, men åtagandet hindrar inte längre avhysning."
        return text + "." + letter
    text, _ = _describe(event, case, {}, names)
    return text + "."
