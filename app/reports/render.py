"""The summary rendered four ways — JSON, CSV, HTML and PDF — from one `MonthlySummary`.

* JSON: `MonthlySummary.to_dict()`; shares are fractions (0.6 = 60 %), 4 decimals.
* CSV: one row per number, `section,metric,value`, comma-separated, UTF-8 with
  a BOM (so Excel opens å, ä, ö right) and CRLF line ends (RFC 4180). The comma
  and a decimal point are chosen over Excel-Sweden's semicolon and decimal
  comma so that every tool reads the file the same way; shares are fractions as
  in the JSON, an empty value means "not defined" (e.g. a share of no cases).
  Text cells that a spreadsheet would run as a formula (=, +, -, @) are
  prefixed with an apostrophe (CSV injection).
* HTML: Swedish, `lang="sv"`, every number in a table row "label | value", the
  charts drawn as inline SVG (`app/reports/charts.py`). No script, no external
  resource: the same page is printed to PDF.
* PDF: the HTML through WeasyPrint, with `notifications.letters`'
  `local_only_url_fetcher` (nothing is fetched over the network), tagged for
  screen readers.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from app import vocabulary
from app.reports import charts
from app.reports.summary import (
    BACKLOG_BUCKETS,
    DEADLINE_KINDS,
    FIRST_CONTACT_STATUSES,
    Month,
    MonthlySummary,
)
from app.vocabulary import DeadlineKind, NoticeKind, Outcome, Unit

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

FORMATS = ("json", "csv", "html", "pdf")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}

FIRST_CONTACT_SV = {
    "met": "Uppfylld inom servicenivån",
    "missed": "Missad",
    "pending": "Tiden löper fortfarande",
    "cancelled": "Ärendet avslutades innan",
    "none": "Ingen tidsfrist registrerad",
}
BACKLOG_SV = {"0-7": "0–7 dagar", "8-30": "8–30 dagar", "31-90": "31–90 dagar", "over_90": "Mer än 90 dagar"}
TREND_SV = {
    "notices_received": "Underrättelser",
    "cases_opened": "Nya ärenden",
    "evictions": "Genomförda avhysningar",
    "missed_deadlines": "Missade tidsfrister",
}

# (section, metric) → the Swedish label of its row in the HTML and PDF; per-key sections below.
LABELS: dict[tuple[str, str], str] = {
    ("notices", "received"): "Mottagna underrättelser",
    ("households", "with_notice"): "Hushåll med underrättelse i månaden",
    ("households", "children"): "– varav med barn",
    ("households", "age_65_plus"): "– varav med person 65 år eller äldre",
    ("households", "repeat"): "– varav med upprepad underrättelse (inom 12 månader)",
    ("cases", "opened"): "Öppnade ärenden",
    ("cases", "closed"): "Avslutade ärenden",
    ("evictions", "carried_out"): "Genomförda avhysningar",
    ("evictions", "children_affected"): "– varav hushåll med barn",
    ("evictions", "age_65_plus_affected"): "– varav hushåll med person 65 år eller äldre",
    ("timeliness", "cases_opened"): "Ärenden öppnade i månaden",
    ("timeliness", "first_contact_within_service_level_share"): "Andel med första kontakt inom servicenivån",
    ("timeliness", "cases_with_first_contact"): "Ärenden där hushållet har nåtts",
    ("timeliness", "median_vardagar_to_first_contact"): "Median, vardagar från mottagande till första kontakt",
    ("timeliness", "redemption_cases"): "Ärenden med återvinningsfrist",
    ("timeliness", "contacted_before_redemption_end"): "– varav hushållet nått före fristens slut",
    ("timeliness", "contacted_before_redemption_end_share"): "Andel nådda före återvinningsfristens slut",
    ("missed_deadlines", "total"): "Missade tidsfrister i månaden",
    ("joint_assessments_requested", "total"): "Begärda delar av gemensam bedömning",
    ("joint_assessments_completed", "total"): "Avslutade delar av gemensam bedömning",
    ("backlog", "total"): "Öppna ärenden vid månadens slut",
}
for _kind in NoticeKind:
    LABELS[("notices_by_kind", _kind.value)] = _kind.label
for _outcome in Outcome:
    LABELS[("cases_closed_by_outcome", _outcome.value)] = _outcome.label
for _status in FIRST_CONTACT_STATUSES:
    LABELS[("first_contact", _status)] = FIRST_CONTACT_SV[_status]
for _kind in DEADLINE_KINDS:
    LABELS[("missed_deadlines", _kind)] = DeadlineKind(_kind).label
for _unit in Unit:
    LABELS[("joint_assessments_requested", _unit.value)] = _unit.label
    LABELS[("joint_assessments_completed", _unit.value)] = _unit.label
for _bucket in BACKLOG_BUCKETS:
    LABELS[("backlog", _bucket)] = BACKLOG_SV[_bucket]


def label(section: str, metric: str) -> str:
    """The Swedish label of a (section, metric) row; landlords are labelled by their own name."""
    if section == "notices_by_landlord":
        return metric
    return LABELS.get((section, metric), metric)


# --------------------------------------------------------------------------- number formats (Swedish)


def format_number(value: Any) -> str:
    """12 → '12', 1234 → '1 234', 2.5 → '2,5', None → '–' (not defined)."""
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}".replace(".", ",")
    return f"{int(value):,}".replace(",", "\u00a0")


def format_share(value: float | None) -> str:
    """0.6 → '60,0 %' (a non-breaking space before the sign, as Swedish writes it)."""
    if value is None:
        return "–"
    return f"{value * 100:.1f}".replace(".", ",") + "\u00a0%"


def display(section: str, metric: str, value: Any) -> str:
    return format_share(value) if metric.endswith("_share") else format_number(value)


def month_label(text: str) -> str:
    month = Month.read(text)
    return f"{month.short_sv} {month.year}"


# --------------------------------------------------------------------------- JSON and CSV


def to_json(summary: MonthlySummary) -> bytes:
    return json.dumps(summary.to_dict(), ensure_ascii=False, indent=2).encode()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(summary: MonthlySummary) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["section", "metric", "value"])
    for section, metric, value in summary.rows():
        writer.writerow([section, _cell(metric), _cell(value)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --------------------------------------------------------------------------- HTML and PDF


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["share"] = format_share
    env.globals["label"] = label
    env.globals["display"] = display
    return env


def _rows(summary: MonthlySummary, *sections: str) -> list[tuple[str, str]]:
    return [(label(s, m), display(s, m, v)) for s, m, v in summary.rows() if s in sections]


def _row(summary: MonthlySummary, section: str, metric: str) -> tuple[str, str]:
    value = next(v for s, m, v in summary.rows() if s == section and m == metric)
    return label(section, metric), display(section, metric, value)


def scope_name(summary: MonthlySummary) -> str:
    if summary.district is not None:
        return summary.district.name
    return f"{summary.municipality} – hela staden" if summary.municipality else "Hela staden"


def _context(summary: MonthlySummary) -> dict[str, Any]:
    month = summary.month_obj
    trend_labels = [month_label(point.month) for point in summary.trend]
    short_labels = [Month.read(point.month).short_sv for point in summary.trend]
    trend_charts = [
        charts.column_chart(TREND_SV[series], short_labels, [getattr(p, series) for p in summary.trend])
        for series in TREND_SV
    ]
    outcomes = summary.cases.closed_by_outcome
    context = {
        "s": summary,
        "month_sv": month.label_sv,
        "period_text": f"1–{(month.shift(1).first_day - month.first_day).days} {month.label_sv}",
        "scope_name": scope_name(summary),
        "row": functools.partial(_row, summary),
        "rows": functools.partial(_rows, summary),
        "trend": list(zip(trend_labels, summary.trend, strict=True)),
        "trend_names": TREND_SV,
        "trend_charts": trend_charts,
        "outcome_chart": charts.bar_chart("Avslutade ärenden per utfall", [vocabulary.label(Outcome, k) for k in outcomes],
                                          list(outcomes.values())),
        "backlog_chart": charts.column_chart("Öppna ärenden efter ålder",
                                             [BACKLOG_SV[k] for k in summary.backlog.by_age],
                                             list(summary.backlog.by_age.values()), highlight_last=False,
                                             width=260),
        "landlords": [(row.landlord, format_number(row.count)) for row in summary.notices.by_landlord],
        "generated": stockholm_text(summary.generated_at),
        "as_of": stockholm_text(summary.backlog.as_of),
    }
    return context


def render_html(summary: MonthlySummary) -> str:
    """The standalone report: one HTML document with its stylesheet inside (also what the PDF prints)."""
    return _environment().get_template("monthly.html").render(**_context(summary))


def render_sections(summary: MonthlySummary) -> Markup:
    """The report's sections without the document around them, for the staff page Rapporter (same numbers,
    same charts, same words as the PDF)."""
    return Markup(_environment().get_template("monthly_body.html").render(**_context(summary)))


def stockholm_text(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{moment:%Y-%m-%d} kl. {moment:%H.%M}"


def render_pdf(summary: MonthlySummary) -> bytes:
    return html_to_pdf(render_html(summary))


def html_to_pdf(html: str) -> bytes:
    from notifications.letters import local_only_url_fetcher
    from notifications.pdf import weasyprint

    module = weasyprint()  # PdfUnavailable without Pango: the API answers 503, the CLI says why
    HTML, FatalURLFetchingError = module.HTML, module.urls.FatalURLFetchingError  # noqa: N806

    try:
        # The page loads nothing (styles and charts are inline); the fetcher makes sure of it.
        return HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/",
                    url_fetcher=local_only_url_fetcher()).write_pdf(pdf_tags=True)
    except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint: give callers an ordinary error
        raise RuntimeError(f"the report tried to load something: {exc}") from exc


def render(summary: MonthlySummary, fmt: str) -> bytes:
    if fmt == "json":
        return to_json(summary)
    if fmt == "csv":
        return to_csv(summary)
    if fmt == "html":
        return render_html(summary).encode()
    if fmt == "pdf":
        return render_pdf(summary)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def filename(summary: MonthlySummary, fmt: str) -> str:
    scope = summary.district.code if summary.district else "hela-staden"
    return f"manadsrapport-{scope}-{summary.month}.{fmt}"
