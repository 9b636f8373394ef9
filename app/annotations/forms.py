"""Forms of the discussion pages; every one that changes something carries a CSRF token.

The forms check only what they offer (a kind from the list, a paragraph of this
section); the rules about bodies, quotes and suggestions are the services' and come
back as `ServiceError`s, which `attach_error` puts on the field at fault.
"""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from app.annotations.dispositions import MAX_RESPONSE_LENGTH
from app.annotations.services import MAX_BODY_LENGTH, MAX_LINKS
from app.core import forms as core_forms
from app.core.errors import ServiceError
from app.core.forms import Form
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import lazy_number
from app.models.annotation import AnnotationKind, DispositionOutcome
from app.moderation.forms import FlagForm  # noqa: F401 (the flag form of every kind)

# Each kind: its label, its plural and the hint the new-thread form gives.
KINDS = {
    AnnotationKind.COMMENT: (
        _l("Comment"),
        _l("Comments"),
        _l("a remark, an example, a reference"),
    ),
    AnnotationKind.QUESTION: (
        _l("Question"),
        _l("Questions"),
        _l("something you would like the authors or others to explain"),
    ),
    AnnotationKind.OBJECTION: (
        _l("Objection"),
        _l("Objections"),
        _l("you disagree, and say why"),
    ),
    AnnotationKind.SUGGESTION: (
        _l("Suggestion"),
        _l("Suggestions"),
        _l("new wording for one paragraph, shown as a change"),
    ),
}
KIND_LABELS = {kind: label for kind, (label, _plural, _hint) in KINDS.items()}
KIND_PLURALS = {kind: plural for kind, (_label, plural, _hint) in KINDS.items()}
KIND_HINTS = {kind: hint for kind, (_label, _plural, hint) in KINDS.items()}
SORT_LABELS = {
    "position": _l("In the order of the text"),
    "oldest": _l("Oldest first"),
    "newest": _l("Newest first"),
    "replies": _l("Most replies first"),
}

MARKDOWN_HINT = _l(
    "You can use Markdown: *emphasis*, **strong**, [a link](https://example.org), lists, "
    "> quotations, `code` and tables. Images, scripts and other HTML are removed. "
    "At most %(chars)s characters and %(links)d links.",
    chars=lazy_number(MAX_BODY_LENGTH),
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
    "quote_start": "paragraph",
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


def attach_error(form: Form, error: ServiceError) -> None:
    """Show a service's refusal on the field at fault, or above the form."""
    core_forms.attach_error(form, error, _ERROR_FIELDS)


class ThreadForm(Form):
    """Start a thread on a section, on one of its paragraphs, or (from the margin, where
    the reader selected it) on a passage: its words and where they begin and end."""

    kind = core_forms.choice_of(
        _l("Kind of contribution"), KIND_LABELS, default=AnnotationKind.COMMENT.value
    )
    paragraph = RadioField(
        _l("What is it about?"),
        choices=[SelectChoice("", _l("The whole section"))],
        default="",
        validate_choice=False,
    )
    body = TextAreaField(_l("Your contribution"), description=MARKDOWN_HINT)
    proposed_text = TextAreaField(_l("Proposed wording"), description=PROPOSED_HINT)
    language = core_forms.language_field()
    quote = HiddenField()
    quote_start = IntegerField(validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])
    quote_end = IntegerField(validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])
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
        if self.chosen_kind is None:
            raise ValidationError(_l("Choose a comment, question, objection or suggestion."))

    def validate_paragraph(self, field):
        if (field.data or "") not in {choice.value for choice in field.choices}:
            raise ValidationError(
                _l(
                    "Choose the whole section or one of its %(n)d paragraphs.",
                    n=self.paragraph_count,
                )
            )
        if self.chosen_kind is AnnotationKind.SUGGESTION and not field.data and not self.passage:
            raise ValidationError(
                _l("A suggestion proposes new wording for a paragraph: choose that paragraph.")
            )

    @property
    def chosen_kind(self) -> AnnotationKind | None:
        """The kind chosen, or None for a value that names no kind."""
        try:
            return AnnotationKind(self.kind.data)
        except ValueError:
            return None

    @property
    def paragraph_number(self) -> int | None:
        """The chosen paragraph, counted from 1, or None for the whole section."""
        return int(self.paragraph.data) if self.paragraph.data else None

    @property
    def passage(self) -> str | None:
        """The selected words, when the thread is on a passage."""
        words = self.quote.data or ""
        return words if words.strip() else None

    @property
    def proposed(self) -> str | None:
        text = self.proposed_text.data or ""
        return text if text.strip() else None


class ReplyForm(Form):
    """Answer a contribution."""

    body = TextAreaField(_l("Your reply"), description=MARKDOWN_HINT)
    language = core_forms.language_field()
    preview = SubmitField(_l("Preview"))
    post = SubmitField(_l("Reply"))


class EditForm(Form):
    """Change one's own contribution; the earlier text stays in its history."""

    body = TextAreaField(_l("Your contribution"), description=MARKDOWN_HINT)
    proposed_text = TextAreaField(_l("Proposed wording"), description=PROPOSED_HINT)
    language = core_forms.language_field(keep=True)
    preview = SubmitField(_l("Preview"))
    post = SubmitField(_l("Save changes"))

    @property
    def proposed(self) -> str | None:
        text = self.proposed_text.data or ""
        return text if text.strip() else None


class DeleteForm(Form):
    """Nothing but the CSRF token and the button that confirms."""

    post = SubmitField(_l("Delete"))


class ThreadFilterForm(Form):
    """Sort and filter a section's threads: a plain GET form, so no CSRF token."""

    class Meta:
        csrf = False

    sort = SelectField(
        _l("Order"),
        choices=[SelectChoice(value, label) for value, label in SORT_LABELS.items()],
        default="position",
        validate_choice=False,
    )
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("", _l("All kinds")),
            *core_forms.enum_choices(KIND_PLURALS),
        ],
        default="",
        validate_choice=False,
    )

    @property
    def chosen_sort(self) -> str:
        return self.sort.data if self.sort.data in SORT_LABELS else "position"

    @property
    def chosen_kind(self) -> AnnotationKind | None:
        try:
            return AnnotationKind(self.kind.data) if self.kind.data else None
        except ValueError:
            return None


# --- the editors' answer to a thread ---------------------------------------------------------

# Each outcome of an editors' answer: its label, and the hint the form gives.
OUTCOMES = {
    DispositionOutcome.ACCEPTED: (_l("Accepted"), _l("the paper changes as proposed")),
    DispositionOutcome.PARTLY_ACCEPTED: (
        _l("Partly accepted"),
        _l("the paper changes, but not all the way"),
    ),
    DispositionOutcome.NOT_ACCEPTED: (_l("Not accepted"), _l("the paper stays as it is; say why")),
    DispositionOutcome.NOTED: (_l("Noted"), _l("taken into account; a response is optional")),
}
OUTCOME_LABELS = {outcome: label for outcome, (label, _hint) in OUTCOMES.items()}
OUTCOME_HINTS = {outcome: hint for outcome, (_label, hint) in OUTCOMES.items()}


class DispositionForm(Form):
    """An editor answers a thread: an outcome, a response, and the version that answers it.

    The form offers the choices; the rules (a response for every outcome but "noted", its
    length, a later version of the same paper) are `app.annotations.dispositions.answer`'s.
    """

    outcome = core_forms.choice_of(_l("Outcome"), OUTCOME_LABELS)
    response = TextAreaField(
        _l("Response"),
        description=_l(
            "What was done with the comment, or why not; required unless the outcome is "
            "“noted”. Markdown, at most %(chars)s characters. Shown to everyone.",
            chars=lazy_number(MAX_RESPONSE_LENGTH),
        ),
    )
    language = core_forms.language_field(_l("Language of the response"), id="response-language")
    version = SelectField(_l("Answered in version"), validate_choice=False, default="")
    post = SubmitField(_l("Publish the answer"))

    def __init__(self, *args, versions=(), **kwargs):
        # A new form offers the latest version: answers are mostly given while, or after,
        # publishing the version that takes the comments into account. (A posted form
        # keeps what was sent, "no version" included.)
        if versions and "formdata" in kwargs and kwargs["formdata"] is None:
            kwargs.setdefault("version", versions[-1].label)
        super().__init__(*args, **kwargs)
        self.version.choices = [
            SelectChoice("", _l("No version yet")),
            *(SelectChoice(v.label, _l("Version %(v)s", v=v.label)) for v in versions),
        ]

    def validate_outcome(self, field):
        if field.data not in {o.value for o in DispositionOutcome}:
            raise ValidationError(_l("Choose accepted, partly accepted, not accepted or noted."))
