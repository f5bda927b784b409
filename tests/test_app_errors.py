"""Every error answer is RFC 9457 problem+json with a request id; a crash shows no internals."""

from __future__ import annotations

from fastapi import APIRouter


def _assert_problem(answer, status: int, type_suffix: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == status
    assert body["type"] == f"https://varsel.example/problems/{type_suffix}"
    assert body["title"]
    assert body["request_id"] == answer.headers["x-request-id"]
    return body


def test_unknown_path_is_a_404_problem(client):
    body = _assert_problem(client.get("/no/such/thing"), 404, "not-found")
    assert "not yours" in body["detail"]


def test_wrong_method_is_a_405_problem(client):
    _assert_problem(client.delete("/healthz"), 405, "method-not-allowed")


def test_crash_is_a_500_problem_without_internals(app, client):
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail 19850412-1230")

    app.include_router(router)
    answer = client.get("/boom")
    body = _assert_problem(answer, 500, "internal")
    assert "secret" not in answer.text
    assert "19850412" not in answer.text
    assert "Traceback" not in answer.text
    assert body["detail"].startswith("Something went wrong")


def test_request_id_from_the_caller_is_kept(client):
    answer = client.get("/no/such/thing", headers={"X-Request-ID": "integrator-trace-0001"})
    assert answer.json()["request_id"] == "integrator-trace-0001"


def test_a_request_id_that_could_inject_is_replaced(client):
    answer = client.get("/no/such/thing", headers={"X-Request-ID": "bad id\nwith newline"})
    assert answer.json()["request_id"] != "bad id\nwith newline"
    assert len(answer.json()["request_id"]) == 32


def test_wrong_form_is_a_422_problem_with_fields(client):
    body = _assert_problem(client.post("/api/v1/auth/token", data={"username": "x"}), 422, "validation")
    assert body["errors"] == [{"field": "password", "message": "field required"}]


def test_body_over_256_kib_is_refused_before_parsing(client):
    answer = client.post(
        "/api/v1/auth/token",
        content=b"{" + b" " * (256 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    body = _assert_problem(answer, 413, "payload-too-large")
    assert "256 KiB" in body["detail"]


def test_chunked_body_over_the_limit_is_refused(client):
    def chunks():
        for _ in range(300):
            yield b"x" * 1024

    answer = client.post("/api/v1/anything", content=chunks(), headers={"Content-Type": "application/json"})
    _assert_problem(answer, 413, "payload-too-large")


def test_non_json_body_to_the_api_is_a_415_problem(client):
    answer = client.post("/api/v1/notices", content=b"<xml/>", headers={"Content-Type": "application/xml"})
    body = _assert_problem(answer, 415, "unsupported-media-type")
    assert "application/json" in body["detail"]
