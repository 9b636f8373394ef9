"""Reading a request through its schema: a body (422 naming each field at fault) or query
parameters (400 `invalid_parameters`), in the CONTRACT's error format."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from app.api.blueprint import json_object, json_type, optional_json_object
from app.api.schemas import Body, Query
from app.core.errors import ApiError

B = TypeVar("B", bound=Body)
Q = TypeVar("Q", bound=Query)


def body(model: type[B], *, optional: bool = False, data: dict[str, Any] | None = None) -> B:
    """The JSON body read as `model`: 415/400 when it is not a JSON object, 422 with each
    field at fault (`quote.exact`, `aliases[1]`) and why."""
    if data is None:
        data = optional_json_object() if optional else json_object()
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = problems(model, error)
        raise ApiError(422, model.invalid_message, code="invalid", fields=fields) from None


def query(model: type[Q]) -> Q:
    """The query parameters read as `model`: 400 `invalid_parameters` naming each."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        fields = problems(model, error)
        raise ApiError(
            400, model.invalid_message, code="invalid_parameters", fields=fields
        ) from None


def _name(loc: tuple[Any, ...]) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else f"{'.' if name else ''}{part}"
    return name


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel]:
    """The model that a nested location (`quote`, `target`) stands in."""
    for part in loc:
        annotation = model.model_fields[part].annotation
        nested = [a for a in getattr(annotation, "__args__", (annotation,)) if _is_model(a)]
        model = nested[0] if nested else model
    return model


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _nullable(model: type[BaseModel], loc: tuple[Any, ...]) -> bool:
    if len(loc) < 1 or not isinstance(loc[-1], str):
        return False
    field = _model_at(model, loc[:-1]).model_fields.get(loc[-1])
    return field is not None and type(None) in getattr(field.annotation, "__args__", ())


def _why(model: type[BaseModel], item: dict[str, Any]) -> str:
    loc, kind, value = item["loc"], item["type"], item.get("input")
    if kind == "missing":
        return getattr(_model_at(model, loc[:-1]), "required_messages", {}).get(loc[-1], "required")
    if kind == "extra_forbidden":
        return _model_at(model, loc[:-1]).unknown_message(loc[-1])
    if kind == "string_type":
        must = getattr(_model_at(model, loc[:-1]), "type_messages", {}).get(loc[-1])
        if must:
            return f"{must}, not {json_type(value)}"
        or_null = " or null" if _nullable(model, loc) else ""
        return f"must be a string{or_null}, not {json_type(value)}"
    if kind == "int_type":
        return f"must be a whole number, not {json_type(value)}"
    if kind == "list_type":
        return f"must be an array of strings, not {json_type(value)}"
    if kind == "model_type":
        nested = _model_at(model, loc)
        names = ", ".join(n if f.is_required() else f"{n}?" for n, f in nested.model_fields.items())
        return f"must be an object {{{names}}}, not {json_type(value)}"
    if kind == "enum":
        return "must be one of " + ", ".join(re.findall(r"'([^']*)'", item["ctx"]["expected"]))
    return item["msg"]


def problems(model: type[BaseModel], error: ValidationError) -> dict[str, str]:
    """Each field at fault and why, named as in the body (`quote.exact`, `aliases[0]`)."""
    found: dict[str, str] = {}
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        ctx = item.get("ctx") or {}
        name = ctx["field"] if item["type"] == "field_problem" else _name(loc)
        found.setdefault(name, _why(model, item))
    return found
