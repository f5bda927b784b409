"""CSV batches: a spreadsheet's rows → the raw notice bodies the JSON batch takes.

Small landlords keep their notices in a spreadsheet. Excel writes "CSV UTF-8"
with a byte-order mark and, in a Swedish locale, `;` between cells and a decimal
comma; elsewhere `,`. This module reads such a file and nothing more: it turns
each row into the same nested dict an integrator would send as JSON, so that the
notice's rules stay where they are (`schemas.py`, `validation.py`, the intake
service) and a row is judged exactly like a JSON item.

- The columns are the notice's fields flattened with dots (`property.city`,
  `tenants.0.name`, `arrears.amount_sek`), derived from `NoticeIn` itself: a field
  added to the schema is a column without anyone listing it here.
- An empty cell is an absent field; a group whose cells are all empty (the
  second tenant, `household`, `arrears` of a disturbance notice) is absent too.
- Numbers are converted only where the schema wants a number, and only when the
  cell looks like one; anything else is handed on as text, so the schema's own
  message names the field ("Input should be a valid integer").
- What makes the whole file unreadable — encoding, quoting, unknown, duplicate or
  missing columns, no rows, too many rows — is one `CsvFileError` (a 422) saying
  what to fix, before any row is looked at.

Pure: no database, no web. The portal's form uses `unflatten` too, so a form and a
file become a notice the same way.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import annotated_types
from pydantic import BaseModel

from app.errors import Problem
from app.http_limits import BATCH_LIMIT
from app.notices.schemas import BatchIn, NoticeIn

MEDIA_TYPE = "text/csv"
MAX_BYTES = BATCH_LIMIT
MAX_ROWS = next(m.max_length for m in BatchIn.model_fields["notices"].metadata
                if isinstance(m, annotated_types.MaxLen))
DELIMITERS = (";", ",")
SAVE_AS_SV = "Spara filen som \"CSV UTF-8\" i kalkylprogrammet och ladda upp den igen."
# Excel may put a "sep=;" line above the header to say which delimiter it used.
_SEP_LINE = re.compile(r"^sep=(.)\r?$")


# --------------------------------------------------------------------------- the columns

@dataclass(frozen=True)
class Column:
    name: str  # "tenants.0.name"
    path: tuple[str | int, ...]  # ("tenants", 0, "name")
    kind: str  # text | int | float | money | bool
    required: bool  # in every notice, whatever its kind


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside Optional[...] / Annotated[...], and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, optional


_KINDS = {int: "int", float: "float", Decimal: "money", bool: "bool"}


def _columns(model: type[BaseModel], prefix: tuple[str | int, ...] = (), required: bool = True) -> list[Column]:
    found: list[Column] = []
    for name, field in model.model_fields.items():
        kind, optional = _unwrap(field.annotation)
        needed = required and field.is_required() and not optional
        path = (*prefix, name)
        if typing.get_origin(kind) is list:
            (item,) = typing.get_args(kind)
            low = next((m.min_length for m in field.metadata if isinstance(m, annotated_types.MinLen)), 0)
            high = next(m.max_length for m in field.metadata if isinstance(m, annotated_types.MaxLen))
            for index in range(high):
                found += _columns(_unwrap(item)[0], (*path, index), needed and index < low)
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            found += _columns(kind, path, needed)
        else:
            # Dates stay text: the schema reads 'YYYY-MM-DD' and says so when a cell is something else.
            found.append(Column(".".join(str(p) for p in path), path, _KINDS.get(kind, "text"), needed))
    return found


COLUMNS: tuple[Column, ...] = tuple(_columns(NoticeIn))
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)


def column_of(field: str) -> str:
    """An error's field ('tenants[0].name') as the column it came from ('tenants.0.name')."""
    return re.sub(r"\[(\d+)\]", r".\1", field)


# --------------------------------------------------------------------------- cells → a notice

_INTEGER = re.compile(r"[+-]?\d{1,1000}")  # int() reads up to 4300 digits
_DEGREES = re.compile(r"[+-]?\d{1,3}(?:[.,]\d{1,15})?")
# Spreadsheets group thousands with a space (a no-break one in Swedish Excel) and write a decimal comma.
_AMOUNT = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+)(?:[.,]\d+)?")
_TRUE = frozenset({"true", "ja", "sant", "yes", "1"})
_FALSE = frozenset({"false", "nej", "falskt", "no", "0"})


def cell_value(kind: str, text: str) -> Any:
    """A cell as the JSON value the schema expects; text it cannot be is left as text for the schema to refuse."""
    if kind == "int" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "float" and _DEGREES.fullmatch(text):
        return float(text.replace(",", "."))
    if kind == "money" and _AMOUNT.fullmatch(text):
        return Decimal(re.sub(r"[ \u00a0\u202f]", "", text).replace(",", "."))
    if kind == "bool" and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    return text


def unflatten(cells: Mapping[str, str]) -> dict[str, Any]:
    """{"property.city": "Stockholm", …} → {"property": {"city": "Stockholm"}, …}.

    Empty cells are left out; so is a group none of whose cells is filled in — except
    the groups every notice has (`property`, the first tenant, `contact`): they stay,
    empty, so that the schema names the missing cells ("property.city"), not the group.
    A name that is no column is kept as it is, so that the schema refuses it as an
    unknown field.
    """
    document: dict[str, Any] = {}
    target: Any
    for column in COLUMNS:
        if column.required:
            target = document
            for step in column.path[:-1]:
                target = target.setdefault(str(step), {})
    for name, raw in cells.items():
        text = raw.strip()
        if not text:
            continue
        column = BY_NAME.get(name)
        if column is None:
            document[name] = text
            continue
        target = document
        for step in column.path[:-1]:
            target = target.setdefault(str(step), {})  # list places as "0", "1" … until _lists
        target[str(column.path[-1])] = cell_value(column.kind, text)
    return _lists(document)


def _lists(value: Any) -> Any:
    """Numbered groups ({"0": …, "2": …}) become lists. A place left empty before a filled one stays, as {},
    so that an error names the column the landlord wrote in ("tenants[1].name" is column tenants.1.name)."""
    if not isinstance(value, dict):
        return value
    if value and all(key.isdigit() for key in value):
        return [_lists(value.get(str(i), {})) for i in range(max(int(key) for key in value) + 1)]
    return {key: _lists(item) for key, item in value.items()}


# --------------------------------------------------------------------------- the file

class CsvFileError(Problem):
    """The file as a whole cannot be read: one 422 that says what to fix (`sv`: the same for the portal)."""

    def __init__(self, detail: str, sv: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(422, detail, type_="csv-file", title="The CSV file cannot be read",
                         errors=errors or [{"field": "(file)", "message": detail}])
        self.sv = sv


@dataclass(frozen=True)
class CsvBatch:
    items: list[dict[str, Any]]  # raw notice bodies, as a JSON batch's items
    rows: list[int]  # each item's row: 1 is the first row after the header


def parse(data: bytes, charset: str | None = None) -> CsvBatch:
    """The rows of a CSV file as raw notice bodies, or CsvFileError."""
    if len(data) > MAX_BYTES:
        mib = MAX_BYTES // (1024 * 1024)
        raise CsvFileError(f"The file is larger than {mib} MiB; split it into several files.",
                           f"Filen är större än {mib} MiB. Dela upp den i flera filer.")
    text = _decode(data, charset)
    lines = text.splitlines(keepends=True)
    delimiter = None
    if lines and (hint := _SEP_LINE.match(lines[0].rstrip("\n"))) and hint.group(1) in DELIMITERS:
        delimiter = hint.group(1)
        text = text[len(lines[0]):]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _sniff(text), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise CsvFileError("The file is empty: the first row must name the columns "
                               "(GET /api/v1/notices/template.csv gives a template).",
                               "Filen är tom. Första raden ska ha kolumnernas namn, som i mallen.")
        names = _check_header([cell.strip() for cell in header])
        items, rows = [], []
        for number, record in enumerate(reader, start=1):
            if not any(cell.strip() for cell in record):
                continue  # spreadsheets leave rows of empty cells at the end
            if len(items) == MAX_ROWS:
                raise CsvFileError(f"The file has more than {MAX_ROWS} rows; split it into several files.",
                                   f"Filen har fler än {MAX_ROWS} rader. Dela upp den i flera filer.")
            cells = dict(zip(names, record))
            # Cells beyond the header's columns: the schema refuses them by name, as unknown fields.
            cells |= {f"(column {i + 1}, no header)": v for i, v in enumerate(record) if i >= len(names)}
            items.append(unflatten(cells))
            rows.append(number)
    except csv.Error as exc:
        raise CsvFileError(f"Line {reader.line_num} cannot be read as CSV ({exc}); check its quotation marks.",
                           f"Rad {reader.line_num} i filen går inte att läsa. Kontrollera citattecknen på raden."
                           ) from None
    if not items:
        raise CsvFileError("The file has a header but no rows with notices.",
                           "Filen har rubrikrad men inga rader med underrättelser.")
    return CsvBatch(items, rows)


def _decode(data: bytes, charset: str | None) -> str:
    if charset is not None and charset.strip().strip('"').lower() not in ("utf-8", "utf8"):
        raise CsvFileError(f"The file is sent as {charset!r}; send it as UTF-8 (charset=utf-8).",
                           "Filen ska vara sparad som UTF-8.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvFileError("The file is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" and send it again.",
                           SAVE_AS_SV)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CsvFileError(
            f"The file is not UTF-8: byte 0x{data[exc.start]:02X} on line {line} is not valid UTF-8. Spreadsheet "
            "programs write this when the file is saved as plain \"CSV\" (Windows-1252); save it as \"CSV UTF-8\" "
            "and send it again.", f"Tecknet på rad {line} går inte att läsa. {SAVE_AS_SV}") from None
    return text


def _sniff(text: str) -> str:
    """The delimiter of the header row: the one of `;` and `,` it holds (column names hold neither)."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])


def _check_header(names: list[str]) -> list[str]:
    errors: list[dict[str, str]] = []
    sv: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            errors.append({"field": "(header)", "message": f"column {position} has no name"})
            sv.append(f"kolumn {position} saknar namn")
        elif name not in BY_NAME:
            near = difflib.get_close_matches(name, BY_NAME, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            errors.append({"field": "(header)", "message": f"unknown column '{_printable(name)}'{hint}"})
            sv.append(f"okänd kolumn '{_printable(name)}'" + (f" (menar ni '{near[0]}'?)" if near else ""))
        elif name in seen:
            errors.append({"field": "(header)", "message": f"column '{name}' appears twice"})
            sv.append(f"kolumnen '{name}' finns två gånger")
        seen.add(name)
    missing = [name for name in REQUIRED if name not in seen]
    if missing:
        errors.append({"field": "(header)", "message": f"missing required column(s): {', '.join(missing)}"})
        sv.append(f"kolumner som måste finnas saknas: {', '.join(missing)}")
    if errors:
        raise CsvFileError(
            "The header row does not match the template: " + "; ".join(e["message"] for e in errors)
            + ". Column names are the notice's fields with dots, as in GET /api/v1/notices/template.csv.",
            "Rubrikraden stämmer inte med mallen: " + "; ".join(sv) + ". Använd kolumnnamnen från mallen.",
            errors)
    return names


def _printable(name: str) -> str:
    clipped = name if len(name) <= 60 else name[:57] + "…"
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", clipped)


# --------------------------------------------------------------------------- the template

def _flatten(document: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, name + ".")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from _flatten(item, f"{name}.{index}.")
        elif value is not None:
            yield name, value


def _written(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Money as a Swedish spreadsheet shows it (decimal comma); degrees likewise.
        return f"{value:.2f}".replace(".", ",") if value == round(value, 2) else str(value).replace(".", ",")
    return str(value)


def template(example: Mapping[str, Any], delimiter: str = ";") -> str:
    """The header row (every column) and `example` as the one row below it, as Excel writes "CSV UTF-8"."""
    cells = dict(_flatten(example))
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([c.name for c in COLUMNS])
    writer.writerow([_written(cells[c.name]) if c.name in cells else "" for c in COLUMNS])
    return "\ufeff" + out.getvalue()


def is_csv(content_type: str | None) -> tuple[bool, str | None]:
    """Whether a Content-Type is CSV, and its charset parameter if any."""
    media, _, params = (content_type or "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip()
    return media.strip().lower() == MEDIA_TYPE, charset

