"""The OpenAPI document (`/api/v1/openapi.json`): what every route requires and may answer, said once.

The routes declare what is theirs (summary, description, operation id, the statuses only
they answer, such as 409). What follows from how a route is built is added here, from
the route itself, so that the document cannot drift from the code:

- the security scheme, from the dependency that authenticates the caller
  (a landlord's API key, Kronofogden's key, a staff token);
- the errors the edges answer for every route of a kind: 401 without valid
  credentials, 403 for a staff form sent with the session cookie but no CSRF
  token, 404 outside the caller's scope or role, 400/413/415 for bodies, 422 for
  invalid input, 429 when a key or a sign-in is throttled, 503 when the database
  is busy or its connection was lost;
- every error as `application/problem+json` with the `Problem` schema (RFC 9457);
- the request examples, loaded from `examples/` (the files integrators copy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

from app import deps
from app.demo import EXAMPLES_DIR, example_document
from app.http_limits import BATCH_LIMIT, DEFAULT_LIMIT, FORM_PATHS
from app.problem_types import PROBLEM_BASE, PROBLEM_CONTENT_TYPE


class FieldError(BaseModel):
    field: str = Field(description="Where, as a JSONPath-like location: `property.postal_code`, `tenants[1].name`; "
                                   "`(body)` for the body as a whole.")
    message: str = Field(description="What is wrong there, in English.")


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details); quote `request_id` to the operator."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": PROBLEM_BASE + "validation", "title": "The notice is not valid", "status": 422,
        "detail": "1 field is invalid",
        "errors": [{"field": "tenants[0].personal_identity_number", "message": "checksum does not match"}],
        "request_id": "3d5dbac195aa41db8ec554c7a3544f14"}]})

    type: str = Field(description=f"What kind of problem: a URI under `{PROBLEM_BASE}` (for example `validation`, "
                                  "`conflict`, `outside-municipality`, `address-conflict`, `rate-limited`).")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code, repeated.")
    detail: str | None = Field(None, description="What went wrong this time and what to do about it.")
    errors: list[FieldError] | None = Field(None, description="422: one entry per invalid field.")
    request_id: str = Field(description="The request's id (also the `X-Request-ID` header); the operator finds the "
                                        "request in the logs by it.")


SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "LandlordKey": {
        "type": "http", "scheme": "bearer", "bearerFormat": "API key",
        "description": "A landlord's API key, `Authorization: Bearer vsl_…`. Made by the municipality's Varsel "
                       "administrator (`varsel landlords keys create`); shown once. A test key "
                       "(`… --test`) sends test notices: answered like real ones, kept apart, deleted after 30 days.",
    },
    "StaffToken": {
        "type": "http", "scheme": "bearer",
        "description": "A staff member's token from `POST /api/v1/auth/token` (form fields `username`, "
                       "`password`), valid `expires_in` seconds.",
    },
    "AuthorityKey": {
        "type": "http", "scheme": "bearer", "bearerFormat": "API key",
        "description": "Kronofogden's API key (`varsel authorities create --name Kronofogden`).",
    },
}
# The dependency that authenticates a route's caller → its scheme.
_AUTHENTICATION: dict[Callable[..., Any], str] = {
    deps.current_landlord: "LandlordKey",
    deps.current_authority: "AuthorityKey",
    deps.current_user: "StaffToken",
}
_UNAUTHORIZED = {
    "LandlordKey": "The API key is missing, unknown or revoked.",
    "AuthorityKey": "The API key is missing, unknown or revoked, or not an authority's.",
    "StaffToken": "The token is missing, invalid or expired, or the user has been deactivated.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before sending the request again.",
                                "schema": {"type": "integer"}}}
_GENERIC: dict[int, str] = {
    400: "The body is not valid JSON.",
    403: "Sent with the session cookie rather than a bearer token, without the page's CSRF token "
         "(`X-CSRF-Token`).",
    404: "Not found, or outside what the caller may see (never 403: the caller is not told it exists).",
    413: f"The body is larger than {DEFAULT_LIMIT // 1024} KiB ({BATCH_LIMIT // (1024 * 1024)} MiB for a batch).",
    415: "The body is not JSON: send `Content-Type: application/json`.",
    422: "The input is not valid: `errors` names each invalid field.",
    429: "Too many requests for this key: wait `Retry-After` seconds, or send many notices in one batch.",
    503: "The database is busy with other work, or its connection was lost (`detail` says which): send the "
         "same request again after `Retry-After` seconds "
         "(a stored notice is then answered as a retry, never stored twice).",
}
# Path parameters are named alike across routes: described once here.
PATH_PARAMETERS = {
    "notice_id": "The notice's `id` (from its receipt, or the intake list).",
    "case_id": "The case's `case_id` (from the queue).",
    "tenant_id": "The tenant's `id` in the case.",
    "username": "The staff user's username.",
}
# Request examples: the files of `examples/`, which integrators copy (an installed package carries a
# copy, app/demo.py: EXAMPLES_DIR).
EXAMPLES: dict[str, dict[str, str]] = {
    "sendNotice": {"notice.json": "A rent-arrears notice, the tenant not served yet"},
    "sendNoticeBatch": {"batch.json": "Three notices of the three kinds"},
    "reportNoticeEvent": {"event.json": "The tenant was served the termination"},
}


def operation_id(route: APIRoute) -> str:
    """A route without an explicit `operation_id` gets its function's name in camelCase."""
    head, *rest = route.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _params(dependant: Dependant, kind: str) -> list[Any]:
    """The route's parameters of one kind (`path_params`, `body_params` …), its dependencies' included."""
    return [*getattr(dependant, kind), *(p for sub in dependant.dependencies for p in _params(sub, kind))]


def scheme_of(route: RouteContext) -> str | None:
    """The security scheme of the dependency that authenticates the route's caller, if any."""
    return next((_AUTHENTICATION[c] for c in _calls(route.dependant) if c in _AUTHENTICATION), None)


def _statuses(route: RouteContext, method: str) -> dict[int, str]:
    calls = set(_calls(route.dependant))
    scheme = scheme_of(route)
    found: dict[int, str] = {}
    if scheme is not None:
        found[401] = _UNAUTHORIZED[scheme]
    if scheme in ("LandlordKey", "AuthorityKey"):
        found[429] = _GENERIC[429]
    body, path = _params(route.dependant, "body_params"), _params(route.dependant, "path_params")
    role_limited = any(getattr(c, "__qualname__", "").startswith("require_roles.") for c in calls)
    if path or role_limited:
        found[404] = _GENERIC[404]
    if body:
        found[413] = _GENERIC[413]
        if route.path_format not in FORM_PATHS:
            found[400] = _GENERIC[400]
            found[415] = _GENERIC[415]
    if scheme == "StaffToken" and method in ("post", "put", "patch", "delete"):
        found[403] = _GENERIC[403]
    if body or path or _params(route.dependant, "query_params") or _params(route.dependant, "header_params"):
        found[422] = _GENERIC[422]
    if deps.get_session in calls:
        found[503] = _GENERIC[503]
    return found


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _example(name: str) -> Any | None:
    return example_document(name) if (EXAMPLES_DIR / name).is_file() else None


def build(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                           tags=app.openapi_tags, servers=app.servers)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components["securitySchemes"] = SECURITY_SCHEMES
    _name_batch_shapes(schemas)
    # The routes as included (with their routers' prefixes and dependencies), as get_openapi reads them.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        path = document["paths"].get(route.path_format, {})
        for method in (m.lower() for m in route.methods):
            if method in path:
                _complete(route, method, path[method])
    return document


def _name_batch_shapes(schemas: dict[str, Any]) -> None:
    """A batch's items are checked one by one (so the model takes any JSON), yet each is a `NoticeIn`;
    an item's problem is a `Problem`. Said here, where both schemas are known."""
    if "NoticeIn" in schemas and "BatchIn" in schemas:
        schemas["BatchIn"]["properties"]["notices"]["items"] = {"$ref": "#/components/schemas/NoticeIn"}
    if "BatchItemResult" in schemas:
        problem = schemas["BatchItemResult"]["properties"]["problem"]
        problem["anyOf"] = [{"$ref": "#/components/schemas/Problem"}, {"type": "null"}]


def _complete(route: RouteContext, method: str, operation: dict[str, Any]) -> None:
    scheme = scheme_of(route)
    if scheme is not None:
        operation["security"] = [{scheme: []}]
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and not parameter.get("description"):
            parameter["description"] = PATH_PARAMETERS.get(parameter["name"], "")
    responses = operation.setdefault("responses", {})
    for status, description in _statuses(route, method).items():
        declared = responses.setdefault(str(status), {})
        if not declared.get("description") or declared["description"] == "Validation Error":
            declared["description"] = description
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            response["content"] = _problem_content()
            if status in ("429", "503"):
                response["headers"] = _RETRY_AFTER
    for name, summary in EXAMPLES.get(operation.get("operationId", ""), {}).items():
        value = _example(name)
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if value is not None and content is not None:
            content.setdefault("examples", {})[name.removesuffix(".json")] = {"summary": summary, "value": value}


def install_openapi(app: FastAPI) -> None:
    """The app's `openapi()` builds this document once, as FastAPI's own would."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
