"""The landlord API (`spec/landlord-api.md`): notices, batches, receipts and events."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.deps import LandlordDep, SessionDep
from app.errors import Problem, errors_from_pydantic, is_contention, safe_stack
from app.notices import service
from app.notices.batch_input import BatchItemsDep, openapi_request_body
from app.notices.schemas import BatchResult, EventIn, NoticeIn, Receipt, ReceiptPage
from app.security.actors import Actor

router = APIRouter(prefix="/api/v1/notices", tags=["notices (landlords)"])
log = structlog.get_logger("varsel.notices")

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200,
           description="Optional. A retry with the same key and body replays the original answer."),
]

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed JSON"},
    401: {"description": "Missing, invalid or revoked API key"},
    409: {"description": "Same external_id or Idempotency-Key with a different body"},
    413: {"description": "Body over 256 KiB (2 MiB for /batch)"},
    415: {"description": "Body is not JSON (or, for /batch, not JSON or CSV)"},
    422: {"description": "Invalid content, an address outside the municipality (type …/outside-municipality), "
                          "or a postal code outside it with coordinates inside (type …/address-conflict)"},
    429: {"description": "Rate limited; see Retry-After"},
}


def _context(request: Request, actor: Actor) -> service.IntakeContext:
    state = request.app.state
    return service.IntakeContext(settings=state.settings, routers=state.routers, actor=actor, now=state.clock())


def _answer(notice, created: bool, request: Request) -> JSONResponse:
    headers = {"Location": f"/api/v1/notices/{notice.id}"}
    if created:
        request.app.state.metrics.notices.labels(notice.kind).inc()
    return JSONResponse(service.receipt(notice), status_code=201 if created else 200, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=Receipt,
    summary="Send an underrättelse",
    responses={200: {"description": "A retry: the original receipt", "model": Receipt}, **_PROBLEMS},
)
def post_notice(request: Request, body: NoticeIn, landlord: LandlordDep, session: SessionDep,
                idempotency_key: IdempotencyKey = None) -> Response:
    notice, created = service.receive(session, _context(request, landlord), body, idempotency_key)
    return _answer(notice, created, request)


# SQLite has one writer at a time: a batch that kept its transaction open for all of
# its items (25–57 s for 500) made every other request wait out its busy timeout.
# There a batch commits every SQLITE_CHUNK items and then pauses a little longer than
# SQLite's busy handler sleeps between tries (100 ms), so a waiting request gets the
# lock before the next chunk takes it. PostgreSQL keeps one transaction per batch:
# readers never wait for it and other writers only for the same rows, the items are
# independent anyway (each in its own savepoint), and one commit is the cheapest.
SQLITE_CHUNK = 25
SQLITE_PAUSE_SECONDS = 0.12


@router.post(
    "/batch",
    response_model=BatchResult,
    summary="Send up to 500 notices (JSON, or a CSV file); each item stands on its own",
    responses=_PROBLEMS,
    openapi_extra=openapi_request_body(),
)
def post_batch(request: Request, landlord: LandlordDep, batch: BatchItemsDep, session: SessionDep) -> dict[str, Any]:
    results = process_batch(request, session, _context(request, landlord), batch.items)
    if batch.rows is not None:  # a CSV file: each result names its row beside its index
        results = [{"index": r["index"], "row": batch.rows[r["index"]], **r} for r in results]
    return {"results": results}


def process_batch(request: Request, session: Session, context: service.IntakeContext,
                  items: Sequence[Any]) -> list[dict[str, Any]]:
    """The batch processing, one for JSON and CSV: raw items in, one result per item ({"index", "status", …})."""
    chunked = session.get_bind().dialect.name == "sqlite"
    results = []
    for index, item in enumerate(items):
        if chunked and index and index % SQLITE_CHUNK == 0:
            session.commit()  # the request owns its transaction; the items so far are stored
            time.sleep(SQLITE_PAUSE_SECONDS)
        results.append({"index": index, **_batch_item(request, session, context, index, item)})
    return results


def _parse_item(item: Any) -> NoticeIn:
    return NoticeIn.model_validate(item)


def _batch_item(request: Request, session: Session, context: service.IntakeContext, index: int,
                item: Any) -> dict[str, Any]:
    try:
        notice_in = _parse_item(item)
    except ValidationError as exc:
        problem = Problem(422, title="The notice is not valid", type_="validation",
                          errors=errors_from_pydantic(exc.errors()))
        problem.detail = f"{len(problem.errors or [])} field(s) invalid"
        return {"status": 422, "problem": problem.body()}
    try:
        notice, created = service.receive(session, context, notice_in, None)
    except Problem as problem:
        return {"status": problem.status, "problem": problem.body()}
    except Exception as exc:  # noqa: BLE001 - the published contract: the item's own 500, the others stored
        if is_contention(exc):
            raise  # the database is busy for every item alike: the whole request answers 503
        # receive() has rolled back its savepoint: nothing of this item is stored.
        log.error("batch_item_failed", index=index, error=type(exc).__name__, stack=safe_stack(exc))
        return {"status": 500, "problem": Problem(
            500, "This notice could not be stored because of an error on our side; the other notices of "
                 "the batch were handled. Send it again later, or quote the request_id to support.").body()}
    if created:
        request.app.state.metrics.notices.labels(notice.kind).inc()
    return {"status": 201 if created else 200, "receipt": service.receipt(notice)}


@router.get("", response_model=ReceiptPage, summary="Your notices, newest first", responses=_PROBLEMS)
def list_notices(
    landlord: LandlordDep,
    session: SessionDep,
    external_id: Annotated[str | None, Query(max_length=100)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    assert landlord.id is not None
    notices, next_cursor = service.list_own(session, landlord.id, external_id=external_id, cursor=cursor, limit=limit)
    return {"items": [service.receipt(n) for n in notices], "next_cursor": next_cursor}


@router.get("/{notice_id}", response_model=Receipt, summary="The receipt of one of your notices",
            responses=_PROBLEMS)
def get_notice(notice_id: str, landlord: LandlordDep, session: SessionDep) -> dict[str, Any]:
    assert landlord.id is not None
    return service.receipt(service.get_own(session, landlord.id, notice_id))


@router.post(
    "/{notice_id}/events",
    status_code=201,
    response_model=Receipt,
    summary="Report what happened next",
    responses={200: {"description": "The same event again: nothing added", "model": Receipt}, **_PROBLEMS},
)
def post_event(request: Request, notice_id: str, body: EventIn, landlord: LandlordDep, session: SessionDep,
               idempotency_key: IdempotencyKey = None) -> Response:
    assert landlord.id is not None
    notice = service.get_own(session, landlord.id, notice_id)
    created = service.add_event(session, _context(request, landlord), notice, body, idempotency_key)
    return JSONResponse(service.receipt(notice), status_code=201 if created else 200)
