"""Ladda upp fil: a CSV file, every row checked before anything is stored, then confirmed.

1. The file is read by the API's CSV parser (`csv_batch.parse`); a file that cannot
   be read is answered at once, in Swedish.
2. Preview: each row goes through the very intake the confirmation will use
   (`NoticeIn`, then `service.receive`) inside a savepoint that is rolled back —
   so the preview says exactly what the confirmation will answer (a row repeating
   an earlier one, a reference used before with other details, an address in
   another municipality), and nothing of it is stored, audited or sent.
3. Confirm: the kept file (`uploads.py`) is handed to the landlord API's batch
   processing (`app/notices/api.py: process_batch`), as a CSV posted to
   `/api/v1/notices/batch` is. The result lists each row's receipt or error.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.deps import SessionDep, SettingsDep
from app.errors import Problem, errors_from_pydantic
from app.notices import csv_batch, service
from app.notices.api import process_batch
from app.notices.schemas import NoticeIn
from app.notices.service import IntakeContext
from app.security import audit
from app.web.portal import uploads
from app.web.portal.common import intake_context, page
from app.web.portal.messages import field_errors, label_of, problem_text
from app.web.portal.session import PREFIX, PortalFormDep, PortalUserDep

router = APIRouter(include_in_schema=False)
TEMPLATE_URL = "/api/v1/notices/template.csv"


def _upload_page(request: Request, portal: Any, *, error: str | None = None, status: int = 200) -> Response:
    return page(request, "upload.html", portal, status=status, active="fil", error=error, template_url=TEMPLATE_URL,
                max_rows=csv_batch.MAX_ROWS)


@router.get(f"{PREFIX}/ladda-upp", response_class=HTMLResponse)
def upload_form(request: Request, portal: PortalUserDep) -> Response:
    return _upload_page(request, portal)


@router.post(f"{PREFIX}/ladda-upp", response_class=HTMLResponse)
def upload(request: Request, portal: PortalFormDep, session: SessionDep, settings: SettingsDep,
           fil: Annotated[UploadFile | None, File()] = None) -> Response:
    if fil is None or not fil.filename:
        return _upload_page(request, portal, error="Välj en fil att ladda upp.", status=422)
    data = fil.file.read(csv_batch.MAX_BYTES + 1)
    try:
        parsed = csv_batch.parse(data)
    except csv_batch.CsvFileError as exc:
        return _upload_page(request, portal, error=exc.sv, status=422)
    now = request.app.state.clock()
    kept = uploads.keep(session, settings, portal, fil.filename, data.decode("utf-8-sig"), now)
    checked = preview(session, intake_context(request, portal), parsed.items)
    audit.record(session, portal.actor, "portal.upload.preview", object_type="landlord",
                 object_id=portal.user.landlord_id, details={"rows": len(parsed.items)})
    rows = [_row_view(number, item, result) for number, item, result in zip(parsed.rows, parsed.items, checked)]
    return page(request, "preview.html", portal, active="fil", rows=rows, upload_id=str(kept.id),
                filename=kept.filename, minutes=int(uploads.KEEP_FOR.total_seconds() // 60),
                storable=sum(1 for r in rows if r["ok"]))


@router.post(f"{PREFIX}/ladda-upp/skicka", response_class=HTMLResponse)
def confirm(request: Request, portal: PortalFormDep, session: SessionDep, settings: SettingsDep,
            upload_id: Annotated[str, Form(alias="upload", max_length=40)]) -> Response:
    kept = uploads.take(session, settings, portal, upload_id, request.app.state.clock())
    if kept is None:
        return _upload_page(request, portal, status=410, error=(
            "Filen finns inte längre: den är redan skickad, eller så gick det mer än "
            f"{int(uploads.KEEP_FOR.total_seconds() // 60)} minuter. Ladda upp den igen."))
    filename, text = kept
    parsed = csv_batch.parse(text.encode())
    # The landlord API's batch processing, as for a CSV posted to /api/v1/notices/batch.
    results = process_batch(request, session, intake_context(request, portal), parsed.items)
    audit.record(session, portal.actor, "portal.upload.confirm", object_type="landlord",
                 object_id=portal.user.landlord_id,
                 details={"rows": len(results), "stored": sum(1 for r in results if r["status"] == 201)})
    rows = [_row_view(parsed.rows[r["index"]], parsed.items[r["index"]], r) for r in results]
    return page(request, "results.html", portal, active="fil", rows=rows, filename=filename,
                stored=sum(1 for r in rows if r["status"] == 201))


def preview(session: Session, context: IntakeContext, items: list[Any]) -> list[dict[str, Any]]:
    """Each item's answer as the batch would give it, with nothing kept: all inside one rolled-back savepoint.

    One savepoint for the whole file, so a row sees the rows before it (a repeat in the
    same file is a repeat here too); `receive` keeps its own savepoint per row within it.
    """
    outer = session.begin_nested()
    try:
        return [_check(session, context, item) for item in items]
    finally:
        outer.rollback()


def _check(session: Session, context: IntakeContext, item: Any) -> dict[str, Any]:
    try:
        body = NoticeIn.model_validate(item)
    except ValidationError as exc:
        return {"status": 422, "problem": Problem(422, errors=errors_from_pydantic(exc.errors())).body()}
    try:
        _, created = service.receive(session, context, body, None)
    except Problem as problem:
        return {"status": problem.status, "problem": problem.body()}
    return {"status": 201 if created else 200}


def _row_view(number: int, item: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """What the preview and the result pages show of one row, in Swedish."""
    problem = result.get("problem") or {}
    errors = field_errors(problem.get("errors") or [])
    status = result["status"]
    return {
        "row": number, "status": status, "ok": status in (200, 201),
        "reference": (result.get("receipt") or {}).get("external_id") or str(item.get("external_id", "")),
        "receipt": result.get("receipt"),
        "errors": [(label_of(column), " ".join(messages)) for column, messages in errors.items()],
        "summary": problem_text(problem) if problem and (status != 422 or not errors) else None,
    }
