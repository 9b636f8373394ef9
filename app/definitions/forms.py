"""Forms of the glossary pages; every one that changes something carries a CSRF token.

The forms only carry what people type; the rules (lengths, duplicates, who may do what)
are `app.definitions.services`' and come back as `DefinitionError`s, which `attach`
puts on the field at fault, or above the form.
"""

from __future__ import annotations

import re

from wtforms import HiddenField, StringField, TextAreaField

from app.core.errors import ServiceError
from app.core.forms import Form, attach_error
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import lazy_number
from app.definitions.services import MAX_DEFINITION_LENGTH, MAX_LINKS, MAX_REASON_LENGTH
from app.models import ProposalComment
from app.models.limits import integer_range

MAX_COMMENT_ID = integer_range(ProposalComment, "id")[1]

MARKDOWN_HINT = _l(
    "You can use Markdown: *emphasis*, **strong**, [a link](https://example.org), lists and "
    "> quotations. Images, scripts and other HTML are removed. At most %(chars)s characters "
    "and %(links)d links.",
    chars=lazy_number(MAX_DEFINITION_LENGTH),
    links=MAX_LINKS,
)


class GlossaryForm(Form):
    """A form that shows a service's refusal where it belongs.

    `FIELDS` maps the field a `DefinitionError` (or a `ModerationError`) names to this
    form's field.
    """

    FIELDS: dict[str, str] = {}

    def attach(self, error: ServiceError) -> None:
        """Show a service's refusal on the field at fault, or above the form."""
        attach_error(self, error, self.FIELDS)


class TermForm(GlossaryForm):
    """Start a term: its label, and optionally a first definition with its rationale."""

    FIELDS = {"label": "label", "text": "definition", "rationale": "rationale"}

    label = StringField(
        _l("Term"),
        description=_l("The word or phrase as the papers use it, e.g. “digital sovereignty”."),
    )
    definition = TextAreaField(
        _l("First definition (optional)"),
        description=_l("What the term means in the papers. %(hint)s", hint=MARKDOWN_HINT),
    )
    rationale = TextAreaField(
        _l("Rationale or source (optional)"),
        description=_l("Why this definition, or where it comes from. Markdown as above."),
    )


class ProposalForm(GlossaryForm):
    """Propose a definition of a term."""

    FIELDS = {"text": "text", "rationale": "rationale"}

    text = TextAreaField(_l("Your definition"), description=MARKDOWN_HINT)
    rationale = TextAreaField(
        _l("Rationale or source (optional)"),
        description=_l("Why this definition, or where it comes from. Markdown as above."),
    )


class AliasesForm(GlossaryForm):
    """Editors list a term's variants and plurals."""

    FIELDS = {"aliases": "aliases", "label": "aliases"}

    aliases = TextAreaField(
        _l("Aliases"),
        description=_l(
            "Variants and plurals that name the same term, separated by commas or one a line."
        ),
    )

    @property
    def values(self) -> list[str]:
        """The aliases typed, empty entries left out."""
        return [
            part.strip() for part in re.split(r"[,\n]", self.aliases.data or "") if part.strip()
        ]


class AdoptForm(GlossaryForm):
    """Editors adopt a proposal, as proposed or with edited wording."""

    FIELDS = {"text": "text"}

    text = TextAreaField(
        _l("Adopted wording (optional)"),
        description=_l(
            "Leave empty to adopt the definition as proposed. Edited wording is shown as the "
            "definition; the proposal as written stays available and its author credited."
        ),
    )


class RejectForm(GlossaryForm):
    """Editors turn a proposal down, saying why."""

    FIELDS = {"reason": "reason"}

    reason = TextAreaField(
        _l("Reason for rejecting"),
        description=_l(
            "Required. Shown to everyone with the proposal. At most %(n)s characters.",
            n=lazy_number(MAX_REASON_LENGTH),
        ),
    )


class CommentForm(GlossaryForm):
    """Say something about a proposal, or answer a comment (`parent_id`)."""

    FIELDS = {"body": "body", "parent": "body"}

    body = TextAreaField(_l("Your comment"), description=MARKDOWN_HINT)
    parent_id = HiddenField()

    @property
    def parent(self) -> int | None:
        """The comment answered; 0 (no comment has it) for a value that is no id."""
        value = (self.parent_id.data or "").strip()
        if not value:
            return None
        if not (value.isascii() and value.isdigit() and len(value) <= len(str(MAX_COMMENT_ID))):
            return 0
        return int(value) if int(value) <= MAX_COMMENT_ID else 0


class ActionForm(GlossaryForm):
    """Nothing but the CSRF token: votes, withdrawals."""
