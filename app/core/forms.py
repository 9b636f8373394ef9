"""What every area's forms share: a choice among an enum's members, and showing a
service's refusal where it belongs."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, RadioField
from wtforms.fields.choices import SelectChoice

from app.core.errors import ServiceError


def attach_error(form: FlaskForm, error: ServiceError, fields: Mapping[str, str]) -> None:
    """Show a service's refusal on the form's field that answers for the field it names
    (`fields` maps the service's names to the form's; a name it lacks is the form's own),
    or above the form when the form has no such field."""
    name = fields.get(error.field or "", error.field)
    field = getattr(form, name, None) if name else None
    if isinstance(field, Field):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def enum_choices(labels: Mapping[Enum, Any]) -> list[SelectChoice]:
    """The choices of a field, one for each member of an enum, labelled."""
    return [SelectChoice(member.value, text) for member, text in labels.items()]


def choice_of(label, labels: Mapping[Enum, Any], **options: Any) -> RadioField:
    """Radio buttons for the members of an enum, each with its label. The service checks
    the value (the form does not), so a wrong one comes back as its refusal."""
    return RadioField(label, choices=enum_choices(labels), validate_choice=False, **options)
