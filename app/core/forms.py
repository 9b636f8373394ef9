"""What every area's forms share: a choice among an enum's members, and showing a
service's refusal where it belongs."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from app.core.errors import ServiceError


def attach_error(form: FlaskForm, error: ServiceError, fields: Mapping[str, str]) -> None:
    """Show a service's refusal on the form's field that answers for the field it names
    (`fields` maps the service's names to the form's), or above the form."""
    name = fields.get(error.field or "")
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def choice_of(label, labels: Mapping[Enum, Any], **options: Any) -> RadioField:
    """Radio buttons for the members of an enum, each with its label. The service checks
    the value (the form does not), so a wrong one comes back as its refusal."""
    choices = [SelectChoice(member.value, text) for member, text in labels.items()]
    return RadioField(label, choices=choices, validate_choice=False, **options)
