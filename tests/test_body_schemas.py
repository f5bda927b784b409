"""Every JSON body the API takes uses the shared edge types, so no field can forget the rules.

Walks the application's own routes: a new endpoint or field is checked without
anyone adding it here.
"""

from __future__ import annotations

import datetime
import decimal
import types
import typing

from fastapi import params
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.dates import IsoDate, Timestamp
from app.money import Money, MoneyOrText
from app.text import MULTI_LINE, SINGLE_LINE

_DATE_RULES = {id(m) for m in typing.get_args(IsoDate)[1:]} | {id(m) for m in typing.get_args(Timestamp)[1:]}
_MONEY_RULES = {id(m) for m in typing.get_args(Money)[1:]} | {id(m) for m in typing.get_args(MoneyOrText)[1:]}


def _api_routes(routes) -> list[APIRoute]:
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router (FastAPI keeps them nested)
            found += _api_routes(route.original_router.routes)
    return found


def _body_models(app) -> set[type[BaseModel]]:
    models = set()
    for route in _api_routes(app.routes):
        # Form fields are the request guard's (app/input_guard.py): only JSON bodies here.
        if route.body_field is not None and not isinstance(route.body_field.field_info, params.Form):
            annotation = route.body_field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                models.add(annotation)
    return models


def _problems(model: type[BaseModel], seen: set[type]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    problems = []
    for name, field in model.model_fields.items():
        where = f"{model.__name__}.{name}"
        for kind, metadata in _leaves(field.annotation, {id(m) for m in field.metadata}):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                problems += _problems(kind, seen)
            elif kind is str and not ({id(SINGLE_LINE), id(MULTI_LINE)} & metadata):
                problems.append(f"{where}: text without SINGLE_LINE or MULTI_LINE")
            elif kind in (datetime.date, datetime.datetime) and not (_DATE_RULES & metadata):
                problems.append(f"{where}: a date without the range of app/dates.py")
            elif kind is decimal.Decimal and not (_MONEY_RULES & metadata):
                problems.append(f"{where}: an amount without app/money.py")
    return problems


def _leaves(annotation: object, metadata: set[int]) -> list[tuple[object, set[int]]]:
    """(type, ids of the Annotated metadata around it) for every type a field may hold."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list):
        return [leaf for arg in typing.get_args(annotation) for leaf in _leaves(arg, metadata)]
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return _leaves(inner, metadata | {id(m) for m in extra})
    return [(annotation, metadata)]


def test_every_body_field_uses_the_edge_types(app):
    models = _body_models(app)
    names = {m.__name__ for m in models}
    assert {"NoticeIn", "EventIn", "EvictionNoticeIn", "PaymentCommitmentIn", "ContactAttemptIn"} <= names
    seen: set[type] = set()
    problems = [p for model in sorted(models, key=lambda m: m.__name__) for p in _problems(model, seen)]
    assert problems == []
