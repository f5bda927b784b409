"""What a batch request carries — a JSON document or a CSV file — as the raw items the batch processing takes.

`POST /api/v1/notices/batch` reads its body itself, so that one endpoint can take
both: FastAPI can declare only one body type. JSON is read exactly as FastAPI
would read it (the same 400 for malformed JSON, the same 422 problem for a
document that is not `{"notices": [...]}`); `text/csv` goes to `csv_batch.parse`,
which answers an unreadable file with one 422. Either way the items stay raw:
each is validated on its own by the batch processing, so one bad item (or row)
does not reject the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.notices import csv_batch
from app.notices.schemas import BatchIn


@dataclass(frozen=True)
class BatchItems:
    items: list[Any]
    rows: list[int] | None  # CSV only: each item's row (1 = the first row after the header)


async def batch_items(request: Request) -> BatchItems:
    is_csv, charset = csv_batch.is_csv(request.headers.get("content-type"))
    data = await request.body()
    if is_csv:
        parsed = csv_batch.parse(data, charset)
        return BatchItems(parsed.items, parsed.rows)
    return BatchItems(_json_batch(data).notices, None)


BatchItemsDep = Annotated[BatchItems, Depends(batch_items)]


def _json_batch(data: bytes) -> BatchIn:
    if not data:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    try:
        document = json.loads(data)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike: 400 malformed JSON
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", getattr(exc, "pos", 0)),
                                       "msg": "JSON decode error", "input": {}}]) from None
    try:
        return BatchIn.model_validate(document)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


CSV_DESCRIPTION = (
    "UTF-8 (with or without BOM), `;` or `,` between cells as spreadsheet programs write them, one header row "
    "naming the columns: the notice's fields flattened with dots (`property.street_address`, `tenants.0.name`, "
    f"`arrears.amount_sek`, …). At most {csv_batch.MAX_ROWS} rows. An empty cell is an absent field; money may "
    "have a decimal comma. `GET /api/v1/notices/template.csv` gives the template with an example row. Each "
    "result carries `row` (1 = the first row after the header) beside `index`; an unreadable file (encoding, "
    "unknown or missing columns) answers one 422 (type `…/csv-file`) that says what to fix."
)


def openapi_request_body() -> dict[str, Any]:
    """The request body as OpenAPI shows it: the JSON document or a CSV file."""
    schema = BatchIn.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema},
        csv_batch.MEDIA_TYPE: {"schema": {"type": "string", "description": CSV_DESCRIPTION}},
    }}}
