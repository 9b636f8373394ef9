"""Editor forms."""

from collections.abc import Callable

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l


class CommentPeriodForm(FlaskForm):
    opens = DateField(_l("Opens on"), validators=[Optional()])
    closes = DateField(_l("Closes on"), validators=[Optional()])

    def validate_closes(self, field):
        if field.data and self.opens.data and field.data < self.opens.data:
            raise ValidationError(_l("The period cannot close before it opens."))


# A paper source is Markdown: the largest known is some 40 kB; 2 MB leaves room.
MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_CHANGE_NOTE = 2000
MAX_VERSION_LABEL = 20


class PublishForm(FlaskForm):
    """A new version's source, uploaded (Markdown, or a .docx or .odt document to
    convert) or pasted, and an optional change note.

    A change note given here replaces the front matter's `change_note` (the source is
    rewritten to carry it, so the stored source and the version agree). `version` names
    the version made from a document, whose front matter comes from the latest version
    (`app.editor.documents`).
    """

    source_file = FileField(
        _l("Upload the source (.md, .docx or .odt)"),
        validators=[
            FileAllowed(
                ["md", "markdown", "docx", "odt"],
                _l("Upload a Markdown file (.md) or a document (.docx, .odt)."),
            ),
            FileSize(MAX_SOURCE_BYTES, message=_l("The file is larger than 2 MB.")),
        ],
    )
    version = StringField(
        _l("Version number (for a .docx or .odt)"),
        validators=[Optional(), Length(max=MAX_VERSION_LABEL)],
    )
    source_text = TextAreaField(_l("Or paste the source"))
    change_note = TextAreaField(
        _l("Change note"),
        validators=[Optional(), Length(max=MAX_CHANGE_NOTE)],
    )

    def validate_source_text(self, field):
        uploaded = self.source_file.data
        has_file = bool(uploaded and getattr(uploaded, "filename", ""))
        has_text = bool((field.data or "").strip())
        if has_file and has_text:
            raise ValidationError(_l("Upload a file or paste the source, not both."))
        if not has_file and not has_text:
            raise ValidationError(_l("Upload the source as a file or paste it here."))
        if has_text and len(field.data.encode("utf-8")) > MAX_SOURCE_BYTES:
            raise ValidationError(_l("The source is larger than 2 MB."))

    def source(self, document: Callable[[bytes, str], str] | None = None) -> tuple[str, str]:
        """The source text and the name to report errors against; ValueError when the
        uploaded file is not UTF-8, or when `document` (which makes a source of an
        uploaded .docx or .odt) refuses the file."""
        uploaded = self.source_file.data
        if uploaded and getattr(uploaded, "filename", ""):
            raw = uploaded.read()
            if document is not None and uploaded.filename.lower().endswith((".docx", ".odt")):
                return document(raw, uploaded.filename), uploaded.filename
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(f"the file is not UTF-8 ({error.reason})") from None
            return text, uploaded.filename
        return self.source_text.data, _("pasted source")


class ConfirmPublishForm(FlaskForm):
    """The previewed source, sent back to be published, with its SHA-256."""

    source = HiddenField(validators=[DataRequired()])
    sha256 = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])
    filename = HiddenField()
