"""The comparison point for the ingest benchmark: a bare FastAPI endpoint that only validates the body.

Logged as Varsel logs in production, so that the comparison is of the work and not of the logging:
JSON lines through the same configuration and the same access-log middleware (`app/logging.py`:
a request id and one access line per request).
"""

from fastapi import FastAPI

from app.logging import RequestContextMiddleware, configure_logging
from app.notices.schemas import NoticeIn

configure_logging(json_logs=True, level="INFO")

app = FastAPI()
app.add_middleware(RequestContextMiddleware)


@app.post("/api/v1/notices", status_code=201)
def post_notice(body: NoticeIn) -> dict[str, str]:
    return {"external_id": body.external_id}
