"""The triage list's forms: its filters (a plain GET form, without CSRF token: it changes
nothing) and the answer given to the chosen threads together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Form, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from app.annotations.dispositions import MAX_RESPONSE_LENGTH
from app.annotations.forms import KIND_PLURALS, OUTCOME_LABELS
from app.core import forms as core_forms
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import lazy_number
from app.core.labels import STAKEHOLDER_LABELS
from app.editor.triage import Filters
from app.models import AnnotationKind, DispositionOutcome, PaperVersion, Section, StakeholderType

ANY = ""
SORT_LABELS = {
    "position": _l("In the order of the text"),
    "newest": _l("Newest first"),
    "replies": _l("Most replies first"),
    "flags": _l("Most flags first"),
}


class TriageFilterForm(Form):
    """What the triage list shows, and in which order; read from the query string."""

    section = SelectField(_l("Section"), default=ANY)
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice(ANY, _l("Any kind")),
            *(SelectChoice(k.value, t) for k, t in KIND_PLURALS.items()),
        ],
        default=ANY,
    )
    answered = SelectField(
        _l("Answered"),
        choices=[
            SelectChoice(ANY, _l("Answered or not")),
            SelectChoice("no", _l("Not answered yet")),
            SelectChoice("yes", _l("Answered")),
        ],
        default=ANY,
    )
    stakeholder = SelectField(
        _l("Author's stakeholder type"),
        choices=[
            SelectChoice(ANY, _l("Any stakeholder")),
            *(SelectChoice(k.value, t) for k, t in STAKEHOLDER_LABELS.items()),
        ],
        default=ANY,
    )
    country = SelectField(_l("Author's country"), default=ANY)
    flagged = SelectField(
        _l("Flags"),
        choices=[SelectChoice(ANY, _l("Flagged or not")), SelectChoice("yes", _l("Flagged"))],
        default=ANY,
    )
    sort = SelectField(
        _l("Sort"),
        choices=[SelectChoice(k, t) for k, t in SORT_LABELS.items()],
        default="position",
    )

    def __init__(self, formdata: Any, sections: Sequence[Section], countries: Sequence[str]):
        super().__init__(formdata)
        self.section.choices = [
            SelectChoice(ANY, _l("All sections")),
            *(SelectChoice(s.key, s.heading) for s in sections),
        ]
        self.country.choices = [
            SelectChoice(ANY, _l("Any country")),
            *(SelectChoice(c, c) for c in countries),
        ]

    def filters(self) -> Filters:
        """The filters chosen; a value that is not among the choices (an old link, a
        hand-made URL) counts as "any", and the form shows "any" for it."""

        def chosen(field) -> str | None:
            values = {str(c.value if hasattr(c, "value") else c[0]) for c in field.choices}
            return field.data if field.data and field.data in values else None

        kind = chosen(self.kind)
        stakeholder = chosen(self.stakeholder)
        answered = chosen(self.answered)
        return Filters(
            section=chosen(self.section),
            kind=AnnotationKind(kind) if kind else None,
            answered=None if answered is None else answered == "yes",
            stakeholder=StakeholderType(stakeholder) if stakeholder else None,
            country=chosen(self.country),
            flagged=chosen(self.flagged) == "yes",
            sort=chosen(self.sort) or "position",
        )

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for the page links and the way back)."""
        filters = self.filters()
        args = {
            "section": filters.section,
            "kind": filters.kind.value if filters.kind else None,
            "answered": None if filters.answered is None else ("yes" if filters.answered else "no"),
            "stakeholder": filters.stakeholder.value if filters.stakeholder else None,
            "country": filters.country,
            "flagged": "yes" if filters.flagged else None,
            "sort": None if filters.sort == "position" else filters.sort,
        }
        return {k: v for k, v in args.items() if v}


class BulkAnswerForm(FlaskForm):
    """One answer for the chosen threads: an outcome, a response and the answering version.
    The chosen threads come as `threads` (one id each) and `campaign` (a campaign's ids,
    comma-separated); the rules of an answer are the service's."""

    outcome = core_forms.choice_of(_l("Outcome"), OUTCOME_LABELS)
    response = TextAreaField(
        _l("Response"),
        description=_l(
            "Sent as the answer to every chosen thread; required unless the outcome is "
            "“noted”. Markdown, at most %(chars)s characters. Shown to everyone.",
            chars=lazy_number(MAX_RESPONSE_LENGTH),
        ),
    )
    language = core_forms.language_field(_l("Language of the response"), id="response-language")
    version = SelectField(_l("Answered in version"), validate_choice=False, default="")
    post = SubmitField(_l("Answer the chosen threads"))

    def __init__(self, *args, versions: Sequence[PaperVersion] = (),
                 latest: PaperVersion | None = None, **kwargs):  # fmt: skip
        if latest is not None:
            kwargs.setdefault("version", latest.label)
        super().__init__(*args, **kwargs)
        self.version.choices = [
            SelectChoice("", _l("No version yet")),
            *(SelectChoice(v.label, _l("Version %(v)s", v=v.label)) for v in versions),
        ]

    def validate_outcome(self, field):
        if field.data not in {o.value for o in DispositionOutcome}:
            raise ValidationError(_l("Choose accepted, partly accepted, not accepted or noted."))
