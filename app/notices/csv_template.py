"""GET /api/v1/notices/template.csv: the CSV batch's template, with an example row dated today.

Public like the API's documentation: it holds no one's data, only the columns
(`csv_batch.COLUMNS`) and a fictitious example. The example is
`examples/notice.json` (an installed package carries a copy: setup.py), moved as
`varsel demo` moves it: its newest date is today, so a template downloaded on any
day passes "not in the future" and "not more than a year back" as it is, and
stays valid for a year.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.calendar import local_today
from app.demo import example_document, refresh_example
from app.notices import csv_batch

router = APIRouter(prefix="/api/v1/notices", tags=["notices (landlords)"])

FILENAME = "varsel-underrattelser.csv"


def example_for(request: Request) -> dict[str, Any]:
    return refresh_example(example_document("notice.json"), local_today(request.app.state.clock()))


@router.get(
    "/template.csv",
    operation_id="getNoticeCsvTemplate",
    summary="The CSV template for /batch: every column and an example row",
    description="Every column a CSV batch may have (the notice's fields flattened with dots) and one example "
                "row with a fictitious tenant, dated today so that it is accepted as it is for a year. Public: it "
                "holds no one's data (the landlord portal links to it).",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                     "description": "UTF-8 with BOM, `;` between cells (as Excel writes \"CSV UTF-8\" in Swedish)"}},
)
def csv_template(request: Request) -> Response:
    return Response(csv_batch.template(example_for(request)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{FILENAME}"'})
