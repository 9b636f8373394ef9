"""The search form: a plain GET form (no CSRF token: it changes nothing), its filters
labelled, read from the query string."""

from __future__ import annotations

from typing import Any

from wtforms import Form, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.annotations.forms import KIND_PLURALS
from app.core.i18n import lazy_gettext as _l
from app.core.labels import STAKEHOLDER_LABELS
from app.models import AnnotationKind, StakeholderType
from app.search.index import Kind
from app.search.queries import Filters

TYPE_LABELS = {
    Kind.SECTION: _l("Paper sections"),
    Kind.ANNOTATION: _l("Comments and replies"),
    Kind.PROPOSAL: _l("Proposed definitions"),
    Kind.TERM: _l("Glossary terms"),
}
ANY = ""


class SearchForm(Form):
    q = SearchField(_l("Search for"))
    type = SelectField(
        _l("Show"),
        choices=[
            SelectChoice(ANY, _l("Everything")),
            *(SelectChoice(k.label, t) for k, t in TYPE_LABELS.items()),
        ],
        default=ANY,
    )
    kind = SelectField(
        _l("Kind of contribution"),
        choices=[
            SelectChoice(ANY, _l("Any kind")),
            *(SelectChoice(k.value, t) for k, t in KIND_PLURALS.items()),
        ],
        default=ANY,
    )
    paper = SelectField(_l("Paper"), choices=[SelectChoice(ANY, _l("All papers"))], default=ANY)
    version = StringField(_l("Version"), validators=[Optional(), Length(max=20)])
    author = StringField(_l("Author's name"), validators=[Optional(), Length(max=80)])
    stakeholder = SelectField(
        _l("Author's stakeholder type"),
        choices=[
            SelectChoice(ANY, _l("Any stakeholder")),
            *(SelectChoice(k.value, t) for k, t in STAKEHOLDER_LABELS.items()),
        ],
        default=ANY,
    )

    def __init__(self, formdata: Any, papers: list[tuple[str, str]]) -> None:
        super().__init__(formdata)
        self.paper.choices = [
            SelectChoice(ANY, _l("All papers")),
            *(SelectChoice(slug, title) for slug, title in papers),
        ]

    def filters(self, author_id: int | None = None) -> Filters:
        """The filters chosen (a valid form's)."""
        return Filters(
            type=next((k for k in Kind if k.label == self.type.data), None),
            paper=self.paper.data or None,
            version=(self.version.data or "").strip() or None,
            kind=AnnotationKind(self.kind.data) if self.kind.data else None,
            author=(self.author.data or "").strip() or None,
            author_id=author_id,
            stakeholder=StakeholderType(self.stakeholder.data) if self.stakeholder.data else None,
        )

    @property
    def filtered(self) -> bool:
        return any(
            getattr(self, name).data
            for name in ("type", "kind", "paper", "version", "author", "stakeholder")
        )
