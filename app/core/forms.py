"""What every area's forms share: showing a service's refusal where it belongs."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm

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
