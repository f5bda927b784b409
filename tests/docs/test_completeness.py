"""The API documents leave nothing out: every field of a notice is in the integrators' table, and every
endpoint of the API is in the document for its readers."""

from __future__ import annotations

import re
from pydantic import BaseModel

from app.config import Settings
from app.main import create_app
from app.notices.schemas import EventIn, NoticeIn
from tests.docs.conftest import DOCS

INTEGRATORS = (DOCS / "integrators.md").read_text(encoding="utf-8")
STAFF = (DOCS / "staff-api.md").read_text(encoding="utf-8")


def leaf_fields(model: type[BaseModel]) -> list[str]:
    """`property.postal_code`, `tenants[].name` …: every leaf of the model's JSON schema."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[-1]]
        for option in node.get("anyOf", []):
            if option.get("type") != "null":
                return resolve(option)
        return node

    def walk(node: dict, prefix: str) -> list[str]:
        node = resolve(node)
        if node.get("type") == "array" and "properties" in resolve(node.get("items", {})):
            return walk(node["items"], prefix + "[]")
        if "properties" not in node:
            return [prefix]
        return [leaf for name, child in node["properties"].items()
                for leaf in walk(child, f"{prefix}.{name}" if prefix else name)]

    return walk(schema, "")


def test_every_field_of_a_notice_and_an_event_is_described():
    for path in leaf_fields(NoticeIn) + leaf_fields(EventIn):
        leaf = path.rsplit(".", 1)[-1]
        # A row of its own, or named inside its block's row (`household`, `coordinates`).
        assert f"`{path}`" in INTEGRATORS or f'"{leaf}"' in INTEGRATORS or f"`{leaf}`" in INTEGRATORS, path


def _endpoints() -> list[tuple[str, str]]:
    spec = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    return [(method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
            for path, operations in spec["paths"].items() for method in operations]


def _documented(text: str) -> set[tuple[str, str]]:
    found = re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^\s`?|]*)", text)
    return {(method, re.sub(r"\{[^}]+\}", "{}", path.rstrip(".,"))) for method, path in found}


def test_every_endpoint_is_documented_for_its_readers():
    endpoints = [e for e in _endpoints() if e[1].startswith("/api/v1/")]
    landlords = {e for e in endpoints if e[1].startswith("/api/v1/notices")}
    assert landlords and landlords <= _documented(INTEGRATORS), landlords - _documented(INTEGRATORS)
    staff = set(endpoints) - landlords
    assert staff <= _documented(STAFF), staff - _documented(STAFF)


def test_the_test_keys_section_says_whether_this_version_has_test_keys():
    """The section matches the CLI: it says "not yet" exactly when `keys create` has no `--test`."""
    from typer.main import get_command

    from app.cli import cli

    create = get_command(cli).commands["landlords"].commands["keys"].commands["create"]
    has_test_keys = any("--test" in getattr(param, "opts", []) for param in create.params)
    section = INTEGRATORS.split("## Test keys", 1)[1].split("\n## ", 1)[0]
    assert ("Not in this version yet" in section) != has_test_keys


def test_the_test_keys_section_names_the_receipt_field_and_the_30_days():
    from app.jobs.purge import TEST_DATA_DAYS

    section = INTEGRATORS.split("## Test keys", 1)[1].split("\n## ", 1)[0]
    assert '"test": true' in section
    assert f"{TEST_DATA_DAYS} days" in section
    assert "--test" in section
