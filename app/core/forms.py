"""What every area's forms share: a choice among an enum's members, showing a service's
refusal where it belongs, and a CSRF token made only when a form is shown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from flask import g
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from markupsafe import escape
from wtforms import Field, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from app.core.errors import ServiceError
from app.core.i18n import lazy_gettext as _l
from app.core.languages import interface_language, language_choices


class _TokenWhenShown:
    """A CSRF token that is made (and stored in the session) when it is written out."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], str]):
        self._make = make

    def __str__(self) -> str:
        return self._make()

    def __html__(self) -> str:
        return str(escape(self._make()))


class _CSRFWhenShown(_FlaskFormCSRF):
    def generate_csrf_token(self, csrf_token_field):
        return _TokenWhenShown(lambda: super(_CSRFWhenShown, self).generate_csrf_token(None))


class Form(FlaskForm):
    """A form whose CSRF token is made when the form is shown, not when it is built.

    Flask-WTF makes it as the form is built, and so starts a session. The reading pages
    build their forms for every reader but show them only to those signed in: an
    anonymous reader then gets no session cookie, and the page stays one that every
    anonymous reader shares (and that caches may keep). Checking a posted token is
    unchanged."""

    class Meta:
        csrf_class = _CSRFWhenShown


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


def language_field(label: Any = None, *, keep: bool = False, id: str | None = None) -> SelectField:
    """The language a contribution is written in: the interface's unless the author says
    otherwise. The service checks the value (a wrong one comes back as its refusal), so
    every form offers the same list (`app.core.languages`), named in the reader's language.
    `keep`: an edit form, whose value left out (by an older page or script) changes nothing.
    `id`: for a form shown beside another one that has the field (a thread's reply form and
    the editors' answer), so that ids stay unique on the page."""
    return SelectField(
        label or _l("Language of your text"),
        choices=lambda: [SelectChoice(code, name) for code, name in language_choices()],
        default=None if keep else interface_language,
        validate_choice=False,
        description=_l("Screen readers read your words in this language."),
        id=id,
    )


def first_autofocus() -> bool:
    """Whether the field being written is the first of the page to take `autofocus`: the
    first field in error of a form that came back gets the focus, without a script, and a
    page has one such field at most (a second `autofocus` is ignored by browsers, and a page
    with several forms must not send the focus to a later one)."""
    if g.get("_autofocus_given"):
        return False
    g._autofocus_given = True
    return True
