"""The comparison point for the ingest benchmark: a bare FastAPI endpoint that only validates the body."""

from fastapi import FastAPI

from app.notices.schemas import NoticeIn

app = FastAPI()


@app.post("/api/v1/notices", status_code=201)
def post_notice(body: NoticeIn) -> dict[str, str]:
    return {"external_id": body.external_id}
