"""Forms of the discussion pages; every one that changes something carries a CSRF token.

The forms check only what they offer (a kind from the list, a paragraph of this
section); the rules about bodies, quotes and suggestions are the services' and come
back as `AnnotationError`s, which `attach_error` puts on the field at fault.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from app.annotations.dispositions import MAX_RESPONSE_LENGTH
from app.annotations.services import MAX_BODY_LENGTH, MAX_LINKS, AnnotationError
from app.core import forms as core_forms
from app.core.i18n import lazy_gettext as _l
from app.models.annotation import AnnotationKind, DispositionOutcome
from app.moderation.forms import FlagForm  # noqa: F401 (the flag form of every kind)

KIND_LABELS = {
    AnnotationKind.COMMENT: _l("Comment"),
    AnnotationKind.QUESTION: _l("Question"),
    AnnotationKind.OBJECTION: _l("Objection"),
    AnnotationKind.SUGGESTION: _l("Suggestion"),
}
KIND_PLURALS = {
    AnnotationKind.COMMENT: _l("Comments"),
    AnnotationKind.QUESTION: _l("Questions"),
    AnnotationKind.OBJECTION: _l("Objections"),
    AnnotationKind.SUGGESTION: _l("Suggestions"),
}
KIND_HINTS = {
    AnnotationKind.COMMENT: _l("a remark, an example, a reference"),
    AnnotationKind.QUESTION: _l("something you would like the authors or others to explain"),
    AnnotationKind.OBJECTION: _l("you disagree, and say why"),
    AnnotationKind.SUGGESTION: _l("new wording for one paragraph, shown as a change"),
}
SORT_LABELS = {
    "oldest": _l("Oldest first"),
    "newest": _l("Newest first"),
    "replies": _l("Most replies first"),
}

MARKDOWN_HINT = _l(
    "You can use Markdown: *emphasis*, **strong**, [a link](https://example.org), lists, "
    "> quotations, `code` and tables. Images, scripts and other HTML are removed. "
    "At most %(chars)s characters and %(links)d links.",
    chars=f"{MAX_BODY_LENGTH:,}",
    links=MAX_LINKS,
)
PROPOSED_HINT = _l(
    "Only for suggestions: the paragraph as you would write it. It is shown as a word-by-word "
    "change against the paragraph you chose. Leave it empty for other kinds."
)

# Which form field answers for the field an `AnnotationError` names.
_ERROR_FIELDS = {
    "body": "body",
    "proposed_text": "proposed_text",
    "quote": "paragraph",
    "target": "paragraph",
    "section": "paragraph",
    "kind": "kind",
}

EXCERPT_LENGTH = 120


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """The first `length` characters of a paragraph, cut at a word, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] or text[:length]
    return cut.rstrip(",;:") + "…"


def attach_error(form: FlaskForm, error: AnnotationError) -> None:
    """Show a service's refusal on the field at fault, or above the form."""
    core_forms.attach_error(form, error, _ERROR_FIELDS)


class ThreadForm(FlaskForm):
    """Start a thread on a section, or on one of its paragraphs."""

    kind = RadioField(
        _l("Kind of contribution"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        default=AnnotationKind.COMMENT.value,
        validate_choice=False,
    )
    paragraph = RadioField(
        _l("What is it about?"),
        choices=[SelectChoice("", _l("The whole section"))],
        default="",
        validate_choice=False,
    )
    body = TextAreaField(_l("Your contribution"), description=MARKDOWN_HINT)
    proposed_text = TextAreaField(_l("Proposed wording"), description=PROPOSED_HINT)
    preview = SubmitField(_l("Preview"))
    post = SubmitField(_l("Post"))

    def __init__(self, *args, paragraphs: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.paragraph_count = len(paragraphs)
        self.paragraph.choices = [
            SelectChoice("", _l("The whole section")),
            *(
                SelectChoice(str(n), _l("Paragraph %(n)d: “%(text)s”", n=n, text=excerpt(text)))
                for n, text in enumerate(paragraphs, start=1)
            ),
        ]

    def validate_kind(self, field):
        if field.data not in {kind.value for kind in AnnotationKind}:
            raise ValidationError(_l("Choose a comment, question, objection or suggestion."))

    def validate_paragraph(self, field):
        if (field.data or "") not in {choice.value for choice in field.choices}:
            raise ValidationError(
                _l(
                    "Choose the whole section or one of its %(n)d paragraphs.",
                    n=self.paragraph_count,
                )
            )
        if self.kind.data == AnnotationKind.SUGGESTION.value and not field.data:
            raise ValidationError(
                _l("A suggestion proposes new wording for a paragraph: choose that paragraph.")
            )

    @property
    def paragraph_number(self) -> int | None:
        """The chosen paragraph, counted from 1, or None for the whole section."""
        return int(self.paragraph.data) if self.paragraph.data else None

    @property
    def proposed(self) -> str | None:
        text = self.proposed_text.data or ""
        return text if text.strip() else None


class ReplyForm(FlaskForm):
    """Answer a contribution."""

    body = TextAreaField(_l("Your reply"), description=MARKDOWN_HINT)
    preview = SubmitField(_l("Preview"))
    post = SubmitField(_l("Reply"))


class EditForm(FlaskForm):
    """Change one's own contribution; the earlier text stays in its history."""

    body = TextAreaField(_l("Your contribution"), description=MARKDOWN_HINT)
    proposed_text = TextAreaField(_l("Proposed wording"), description=PROPOSED_HINT)
    preview = SubmitField(_l("Preview"))
    post = SubmitField(_l("Save changes"))

    @property
    def proposed(self) -> str | None:
        text = self.proposed_text.data or ""
        return text if text.strip() else None


class DeleteForm(FlaskForm):
    """Nothing but the CSRF token and the button that confirms."""

    post = SubmitField(_l("Delete"))


class ThreadFilterForm(FlaskForm):
    """Sort and filter a section's threads: a plain GET form, so no CSRF token."""

    class Meta:
        csrf = False

    sort = SelectField(
        _l("Order"),
        choices=[SelectChoice(value, label) for value, label in SORT_LABELS.items()],
        default="oldest",
        validate_choice=False,
    )
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("", _l("All kinds")),
            *(SelectChoice(k.value, v) for k, v in KIND_PLURALS.items()),
        ],
        default="",
        validate_choice=False,
    )

    @property
    def chosen_sort(self) -> str:
        return self.sort.data if self.sort.data in SORT_LABELS else "oldest"

    @property
    def chosen_kind(self) -> AnnotationKind | None:
        try:
            return AnnotationKind(self.kind.data) if self.kind.data else None
        except ValueError:
            return None


# --- the editors' answer to a thread ---------------------------------------------------------

OUTCOME_LABELS = {
    DispositionOutcome.ACCEPTED: _l("Accepted"),
    DispositionOutcome.PARTLY_ACCEPTED: _l("Partly accepted"),
    DispositionOutcome.NOT_ACCEPTED: _l("Not accepted"),
    DispositionOutcome.NOTED: _l("Noted"),
}
OUTCOME_HINTS = {
    DispositionOutcome.ACCEPTED: _l("the paper changes as proposed"),
    DispositionOutcome.PARTLY_ACCEPTED: _l("the paper changes, but not all the way"),
    DispositionOutcome.NOT_ACCEPTED: _l("the paper stays as it is; say why"),
    DispositionOutcome.NOTED: _l("taken into account; a response is optional"),
}


class DispositionForm(FlaskForm):
    """An editor answers a thread: an outcome, a response, and the version that answers it.

    The form offers the choices; the rules (a response for every outcome but "noted", its
    length, a later version of the same paper) are `app.annotations.dispositions.answer`'s.
    """

    outcome = RadioField(
        _l("Outcome"),
        choices=[SelectChoice(o.value, label) for o, label in OUTCOME_LABELS.items()],
        validate_choice=False,
    )
    response = TextAreaField(
        _l("Response"),
        description=_l(
            "What was done with the comment, or why not; required unless the outcome is "
            "“noted”. Markdown, at most %(chars)s characters. Shown to everyone.",
            chars=f"{MAX_RESPONSE_LENGTH:,}",
        ),
    )
    version = SelectField(_l("Answered in version"), validate_choice=False, default="")
    post = SubmitField(_l("Publish the answer"))

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.version.choices = [
            SelectChoice("", _l("No version yet")),
            *(SelectChoice(v.label, _l("Version %(v)s", v=v.label)) for v in versions),
        ]

    def validate_outcome(self, field):
        if field.data not in {o.value for o in DispositionOutcome}:
            raise ValidationError(_l("Choose accepted, partly accepted, not accepted or noted."))

    def attach(self, error: AnnotationError) -> None:
        """Show a service's refusal on the field at fault, or above the form."""
        target = (
            getattr(self, error.field, None)
            if error.field
            in {
                "outcome",
                "response",
                "version",
            }
            else None
        )
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            self.form_errors.append(error.message)
