"""The landlord API (`spec/landlord-api.md`): notices, batches, receipts and events."""

from __future__ import annotations

import time
from contextlib import suppress
from collections.abc import Sequence
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import StringConstraints, ValidationError
from sqlalchemy.orm import Session

from app.db_loop import run_unit
from app.deps import LandlordDep, SessionDep
from app.errors import Problem, errors_from_pydantic, is_contention, safe_stack
from app.notices import bulk, groups, service
from app.notices.events import add_event
from app.notices.batch_input import BatchItemsDep, openapi_request_body
from app.notices.schemas import BatchResult, EventIn, NoticeIn, Receipt, ReceiptPage
from app.security.actors import Actor
from app.text import SINGLE_LINE

router = APIRouter(prefix="/api/v1/notices", tags=["notices (landlords)"])
log = structlog.get_logger("varsel.notices")

# Stored with the notice or event, so it follows the text rule of a one-line field (`app/text.py`: a NUL
# is a 500 on PostgreSQL, stored on SQLite); an empty key would make every keyless retry one notice.
IdempotencyKey = Annotated[
    Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE] | None,
    Header(alias="Idempotency-Key",
           description="Optional. 1–200 characters, no control characters. A retry with the same key and body "
                       "replays the original answer."),
]

# What only these routes answer; the statuses every route of its kind answers (401, 413, 415, 422,
# 429, 503 …) and the problem+json bodies are added from the route itself by app/openapi.py.
_CONFLICT = {409: {"description": "The same `external_id` (or `Idempotency-Key`) was sent before with a different "
                                  "body; the problem's `notice_id` names the stored notice."}}
_NOT_YOURS = {404: {"description": "No notice with this id, or not your organisation's."}}
_INVALID_NOTICE = {422: {"description": "Invalid content (`errors` names each field); an address outside the "
                                        "municipality (`type` …/outside-municipality); or a postal code outside it "
                                        "with coordinates inside (`type` …/address-conflict)."}}
_TEST_KEYS = (" Sent with a test key, the notice is validated and answered exactly the same way, with `\"test\": "
              "true` in the receipt, but kept apart: never routed to a district's queue, never counted in a "
              "report, never causing a message, and deleted after 30 days.")


def _answer(notice, created: bool, request: Request) -> JSONResponse:
    headers = {"Location": f"/api/v1/notices/{notice.id}"}
    return JSONResponse(service.receipt(notice), status_code=201 if created else 200, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=Receipt,
    operation_id="sendNotice",
    summary="Send an underrättelse",
    description="The landlord's notice to the social welfare committee (underrättelse, JB 12 kap. 25 a, 42 or "
                "44 §). Varsel stores it, routes it to the district of the address and answers with the receipt: "
                "the district and the statutory deadlines it computed. `Location` names the notice. The same "
                "`external_id` (or `Idempotency-Key`) with the same body is a safe retry: 200 with the original "
                "receipt." + _TEST_KEYS,
    response_description="Stored: the receipt.",
    responses={200: {"description": "A retry: the original receipt.", "model": Receipt}, **_CONFLICT,
               **_INVALID_NOTICE},
)
async def post_notice(request: Request, body: NoticeIn, landlord: LandlordDep, session: SessionDep,
                      idempotency_key: IdempotencyKey = None) -> Response:
    request.state.notice_kind = body.kind  # app/metrics.py counts the answer by kind and status
    if session.get_bind().dialect.name == "postgresql":
        # Written with the landlord's other notices sent at the same moment, if any (`app/notices/groups.py`).
        notice_groups = request.app.state.notice_groups
        if notice_groups.start_alone():
            try:
                return await run_unit(session, _receive_one, request, body, landlord, session, idempotency_key)
            finally:
                notice_groups.end_alone(landlord)
        answer = await notice_groups.receive(body, landlord, idempotency_key)
        if answer is not groups.ALONE:
            return _written(answer)
        # Not taken by its group (it joins a stored case the group did not read, or the group lost a
        # race and rolled back): the one-notice path, as the set-wise writer's own fall-back below.
        return await run_unit(session, _receive_one, request, body, landlord, session, idempotency_key, False)
    # The whole unit of work, commit included, in one go: on PostgreSQL on the event loop, without a
    # thread (`app/db_loop.py`), on SQLite in the thread pool.
    return await run_unit(session, _receive_one, request, body, landlord, session, idempotency_key)


def _receive_one(request: Request, body: NoticeIn, landlord: Actor, session: Session,
                 idempotency_key: str | None, set_wise: bool = True) -> Response:
    try:
        return _stored_and_answered(request, body, landlord, session, idempotency_key, set_wise)
    except BaseException:
        # Ended here, in the unit (on PostgreSQL on the loop): an answer of 409 or 422 then takes no
        # trip through the thread pool for `get_session`'s rollback either. If the rollback fails,
        # the first error is still the answer, and `get_session` tries again.
        with suppress(Exception):
            session.rollback()
        raise


def _stored_and_answered(request: Request, body: NoticeIn, landlord: Actor, session: Session,
                         idempotency_key: str | None, set_wise: bool) -> Response:
    context = service.IntakeContext.of(request.app.state, landlord)
    # The set-wise writer, as for a batch of one: the notice is the request's only work, so its
    # transaction stands in for a savepoint. It gives the notice back (None, or DEFER for a
    # notice that joins a stored case it did not read) to the one-notice path, as a batch does.
    written = None
    if set_wise:
        written = bulk.receive_many(session, context, [(0, body)], alone=True,
                                    keys={0: idempotency_key} if idempotency_key is not None else None)
    answer = (written or {}).get(0, bulk.DEFER)
    if answer is bulk.DEFER:
        notice, created = service.receive(session, context, body, idempotency_key, alone=True)
        response = _answer(notice, created, request)  # before the commit: a replay's receipt may load its case
        session.commit()  # see below
        return response
    if isinstance(answer, Problem):
        raise answer
    # Committed here, in the unit of work, before the answer is made: the request's session
    # (`get_session`) then has nothing left to end. A failed commit is still an error answer, not a 201.
    session.commit()
    return _written(answer)


def _written(answer: dict[str, Any]) -> JSONResponse:
    """The set-wise writer's answer to a notice sent alone: its receipt, 201 or a replay's 200."""
    receipt = answer["receipt"]
    return JSONResponse(receipt, status_code=answer["status"], headers={"Location": f"/api/v1/notices/{receipt['id']}"})


# SQLite has one writer at a time: a batch that kept its transaction open for all of
# its items (25–57 s for 500) made every other request wait out its busy timeout.
# There a batch commits every SQLITE_CHUNK items and then pauses a little longer than
# SQLite's busy handler sleeps between tries (100 ms), so a waiting request gets the
# lock before the next chunk takes it. PostgreSQL keeps one transaction per batch:
# readers never wait for it and other writers only for the same rows, the items are
# independent anyway, and one commit is the cheapest.
SQLITE_CHUNK = 25
SQLITE_PAUSE_SECONDS = 0.12


@router.post(
    "/batch",
    response_model=BatchResult,
    operation_id="sendNoticeBatch",
    summary="Send up to 500 notices (JSON, or a CSV file); each item stands on its own",
    description="Up to 500 notices (body up to 2 MiB) in one request. Each item is answered on its own, in "
                "order: `status` 201 with its receipt, 200 for a retry of a stored notice, or its own problem "
                "(422, 409, or 500 for an unexpected failure of that item alone); one item's failure never "
                "rejects the others. The answer is 200 whenever the batch itself could be read. The same endpoint takes "
                "`text/csv` (see `GET /api/v1/notices/template.csv`): each result then names its `row` too." + _TEST_KEYS,
    response_description="One result per item, in the order sent.",
    openapi_extra=openapi_request_body(),
)
def post_batch(request: Request, landlord: LandlordDep, batch: BatchItemsDep, session: SessionDep) -> Response:
    results = process_batch(request, session, service.IntakeContext.of(request.app.state, landlord), batch.items)
    session.commit()  # in this thread, as `post_notice` does
    rows = batch.rows  # a CSV file: each result names its row beside its index
    # The answer as `BatchResult` serialises it, written directly: validating 500 results against
    # the response model and walking them with jsonable_encoder cost more than the JSON itself.
    return JSONResponse({"results": [
        {"index": r["index"], **({"row": rows[r["index"]]} if rows is not None else {}), "status": r["status"],
         "receipt": r.get("receipt"), "problem": r.get("problem")} for r in results]})


def process_batch(request: Request, session: Session, context: service.IntakeContext,
                  items: Sequence[Any]) -> list[dict[str, Any]]:
    """The batch processing, one for JSON and CSV: raw items in, one result per item ({"index", "status", …}).

    Each chunk (the whole batch on PostgreSQL) is written set-wise (`app/notices/bulk.py`); an item
    that joins a stored case the batch did not read, or every item of a chunk the bulk writer gave back
    (a concurrent batch stored the same notice first, an item failed unexpectedly), goes through
    the one-notice path, in order, with its own savepoint.
    """
    chunk = SQLITE_CHUNK if session.get_bind().dialect.name == "sqlite" else max(len(items), 1)
    results: list[dict[str, Any]] = []
    for start in range(0, len(items), chunk):
        if start:
            session.commit()  # the request owns its transaction; the items so far are stored
            time.sleep(SQLITE_PAUSE_SECONDS)
        results += _chunk(request, session, context, start, items[start:start + chunk])
    for item, result in zip(items, results, strict=True):
        request.app.state.metrics.count_notice(item.get("kind") if isinstance(item, dict) else None,
                                               result["status"], context.actor.test)
    return results


def _parse_item(item: Any) -> NoticeIn:
    return NoticeIn.model_validate(item)


def _chunk(request: Request, session: Session, context: service.IntakeContext, start: int,
           items: Sequence[Any]) -> list[dict[str, Any]]:
    answers: dict[int, dict[str, Any]] = {}
    parsed: list[tuple[int, NoticeIn]] = []
    for index, item in enumerate(items, start):
        try:
            parsed.append((index, _parse_item(item)))
        except ValidationError as exc:
            problem = Problem(422, title="The notice is not valid", type_="validation",
                              errors=errors_from_pydantic(exc.errors()))
            problem.detail = f"{len(problem.errors or [])} field(s) invalid"
            answers[index] = {"status": 422, "problem": problem.body()}
    written = bulk.receive_many(session, context, parsed) or {}
    for index, notice_in in parsed:
        answer = written.get(index, bulk.DEFER)
        answers[index] = _batch_item(session, context, index, notice_in) if answer is bulk.DEFER else answer
    return [{"index": index, **answers[index]} for index in sorted(answers)]


def _batch_item(session: Session, context: service.IntakeContext, index: int, notice_in: NoticeIn) -> dict[str, Any]:
    """One item by the one-notice path: its own savepoint, its own 409/422, its own 500."""
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
    return {"status": 201 if created else 200, "receipt": service.receipt(notice)}


@router.get("", response_model=ReceiptPage, operation_id="listNotices", summary="Your notices, newest first",
            description="The receipts of your organisation's notices, newest first, a page at a time: pass "
                        "`next_cursor` as `cursor` for the next page. Test notices are listed too, with "
                        "`\"test\": true`.",
            response_description="A page of receipts.")
def list_notices(
    landlord: LandlordDep,
    session: SessionDep,
    external_id: Annotated[str | None, Query(max_length=100,
                                             description="Only the notice with this `external_id`.")] = None,
    cursor: Annotated[str | None, Query(max_length=200,
                                        description="`next_cursor` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Receipts per page.")] = 50,
) -> dict[str, Any]:
    assert landlord.id is not None
    notices, next_cursor = service.list_own(session, landlord.id, external_id=external_id, cursor=cursor, limit=limit)
    return {"items": [service.receipt(n) for n in notices], "next_cursor": next_cursor}


@router.get("/{notice_id}", response_model=Receipt, operation_id="getNotice",
            summary="The receipt of one of your notices",
            description="The notice's receipt as it stands now: its status (`closed` after a terminal event you "
                        "reported), its district and its deadlines. Someone else's notice answers 404.",
            response_description="The receipt.", responses=_NOT_YOURS)
def get_notice(notice_id: str, landlord: LandlordDep, session: SessionDep) -> dict[str, Any]:
    assert landlord.id is not None
    return service.receipt(service.get_own(session, landlord.id, notice_id))


@router.post(
    "/{notice_id}/events",
    status_code=201,
    response_model=Receipt,
    operation_id="reportNoticeEvent",
    summary="Report what happened next",
    description="What the landlord knows happened after the notice: the tenant was served, the rent was paid "
                "(hyresrätten återvunnen), a payment plan, the termination withdrawn, an eviction applied for, "
                "scheduled or carried out, the tenant moved out. It goes on the case's timeline and may change "
                "the deadlines; the answer is the updated receipt. The same event again, or a retry with the same "
                "`Idempotency-Key`, answers 200 and adds nothing.",
    response_description="Recorded: the updated receipt.",
    responses={200: {"description": "The same event again: nothing added.", "model": Receipt},
               409: {"description": "`tenant_served` on a notice that already has a service date; the "
                                    "`Idempotency-Key` used before for another event; or the notice's personal "
                                    "data has been purged."},
               **_NOT_YOURS},
)
def post_event(request: Request, notice_id: str, body: EventIn, landlord: LandlordDep, session: SessionDep,
               idempotency_key: IdempotencyKey = None) -> Response:
    assert landlord.id is not None
    notice = service.get_own(session, landlord.id, notice_id)
    created = add_event(session, service.IntakeContext.of(request.app.state, landlord), notice, body, idempotency_key)
    return JSONResponse(service.receipt(notice), status_code=201 if created else 200)
