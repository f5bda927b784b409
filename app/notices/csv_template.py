"""GET /api/v1/notices/template.csv: the CSV batch's template, with an example row dated today.

Public like the API's documentation: it holds no one's data, only the columns
(`csv_batch.COLUMNS`) and a fictitious example. The example is
`examples/notice.json` (kept equal to it by `tests/notices/test_csv_batch.py`;
an installed package carries no `examples/` folder), moved as `varsel demo`
moves it: its newest date is today, so a template downloaded on any day passes
"not in the future" and "not more than a year back" as it is, and stays valid for
a year.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.calendar import local_today
from app.demo import refresh_example
from app.notices import csv_batch

router = APIRouter(prefix="/api/v1/notices", tags=["notices (landlords)"])

EXAMPLE: dict[str, Any] = {
    "external_id": "EXEMPEL-2026-0001",
    "kind": "rent_arrears",
    "sent_on": "2026-11-30",
    "tenant_served_on": None,
    "termination_on": "2026-11-27",
    "property": {
        "street_address": "Arenavägen 61",
        "postal_code": "121 77",
        "city": "Johanneshov",
        "apartment_number": "1201",
        "rooms": 3,
        "coordinates": {"lat": 59.2937, "lon": 18.081},
    },
    "tenants": [
        {"name": "Tova Exempelsson", "personal_identity_number": "19880314-9825", "phone": "+46701740605",
         "email": "tova.exempelsson@example.org"},
    ],
    "household": {"children_under_18": 1, "residents_65_or_older": 0, "consent": True},
    "arrears": {
        "amount_sek": 14250.00,
        "due_date": "2026-10-31",
        "interest": "referensränta + 8 %",
        "monthly_rent_sek": 7125.00,
        "payment_instructions": "Bankgiro 123-4567, ange OCR 4455667",
    },
    "disturbance": None,
    "contact": {"name": "Kim Lind", "phone": "08-123 456 00", "email": "kim.lind@example.org"},
}
FILENAME = "varsel-underrattelser.csv"


def example_for(request: Request) -> dict[str, Any]:
    return refresh_example(EXAMPLE, local_today(request.app.state.clock()))


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
