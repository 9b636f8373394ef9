"""The shapes of the JSON API, declared once: what each request may send (bodies and query
parameters) and what each answer carries.

The same models validate input (`app.api.validation`), shape output (presenters build
them, views dump them) and make the OpenAPI document (`app.api.openapi`). Bodies are
read strictly: unknown fields are refused, strings and whole numbers are not coerced.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.annotations.queries import SORTS
from app.annotations.services import MAX_BODY_LENGTH, MAX_LINKS
from app.api.blueprint import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT
from app.core.languages import LANGUAGES, LanguageError, check_language
from app.definitions.queries import FILTERS
from app.models import (
    AnnotationKind,
    AnnotationStatus,
    DispositionOutcome,
    FlagReason,
    StakeholderType,
    TargetType,
    Term,
)
from app.models.limits import column_length
from app.moderation.queries import QUEUE_STATES
from app.moderation.targets import CONTENT_TYPES
from app.search.index import KINDS as SEARCH_KINDS
from app.search.terms import MAX_QUERY


def problem(field: str, why: str) -> PydanticCustomError:
    """A refusal naming its field, for checks that look at more than one field."""
    return PydanticCustomError("field_problem", "{why}", {"field": field, "why": why})


# --- input ------------------------------------------------------------------------------


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul", "must not contain the character U+0000")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError(
            "surrogate", "must be valid Unicode (it contains an unpaired surrogate)"
        ) from None
    return value


Text = Annotated[str, Strict(), AfterValidator(_clean_text)]
WholeNumber = Annotated[int, Strict()]


def _language(value: str) -> str:
    try:
        return check_language(value)
    except LanguageError:
        raise PydanticCustomError(
            "language",
            "unknown language tag {tag!r}: give a BCP 47 primary tag, one of {tags}",
            {"tag": value[:20], "tags": ", ".join(sorted(LANGUAGES))},
        ) from None


Language = Annotated[
    Text,
    AfterValidator(_language),
    Field(
        description="The language it is written in, as a BCP 47 primary tag (default: "
        "the language of the request's `Accept-Language`, among the site's, else `en`).",
        json_schema_extra={"enum": sorted(LANGUAGES)},
    ),
]


def _blank(value: str | None) -> bool:
    return value is not None and not value.strip()


class Body(BaseModel):
    """A request body: unknown fields are refused, naming what is allowed."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
    # Why a missing field is needed, when "required" alone would not say enough.
    required_messages: ClassVar[dict[str, str]] = {}
    # What a field of the wrong type must be, when "a string" would not say enough.
    type_messages: ClassVar[dict[str, str]] = {}
    invalid_message: ClassVar[str] = "The request is not valid; `fields` says what to change."

    @classmethod
    def unknown_message(cls, name: str) -> str:
        allowed = ", ".join(sorted(f.alias or n for n, f in cls.model_fields.items()))
        return f"unknown field (allowed: {allowed})"


class QuoteInput(Body):
    """The passage commented on. With `start` and `end` the quote must stand exactly there.
    Without them it must occur once in the section, or once among the places where the
    given `prefix`/`suffix` agree."""

    exact: Text
    """The words quoted."""
    prefix: Text | None = None
    """The words just before, to tell one occurrence from another."""
    suffix: Text | None = None
    """The words just after."""
    start: WholeNumber | None = None
    """Offset in Unicode code points in the section's `text`."""
    end: WholeNumber | None = None
    """Offset just past the quote."""


class NewThread(Body):
    """A new thread on a section, a paragraph or a passage of a version."""

    invalid_message: ClassVar[str] = "The annotation is not valid; `fields` says what to change."

    paper: Text
    """The paper's slug."""
    version: Text = Field(examples=["5.0"])
    section: Text
    """The section's key."""
    body: Text = Field(
        description=f"Markdown; not blank; at most {MAX_LINKS} links.",
        json_schema_extra={"maxLength": MAX_BODY_LENGTH},
    )
    kind: AnnotationKind | None = None
    """Default: `comment`."""
    quote: QuoteInput | None = None
    target: TargetType | None = None
    """Default: `passage` with a quote, else `section`. A `paragraph` or `passage` needs a
    quote; a `section` takes none."""
    proposed_text: Text | None = None
    """Required for, and only for, kind `suggestion` (which also needs a quote): the
    wording proposed instead of the quote."""
    language: Language | None = None

    @model_validator(mode="after")
    def _consistent(self) -> NewThread:
        if self.target is TargetType.SECTION and self.quote is not None:
            raise problem("target", "a comment on a whole section has no quote; use passage")
        if _blank(self.section):
            raise problem("section", "required")
        return self


class NewReply(Body):
    """A reply: it joins its parent's thread."""

    invalid_message: ClassVar[str] = NewThread.invalid_message

    parent: WholeNumber
    """The annotation answered."""
    body: Text = Field(json_schema_extra={"maxLength": MAX_BODY_LENGTH})
    language: Language | None = None

    @classmethod
    def unknown_message(cls, name: str) -> str:
        if name in NewThread.model_fields:
            return (
                "a reply takes only `parent`, `body` and `language`: it joins its parent's thread"
            )
        return "unknown field (allowed in a reply: body, language, parent)"


class AnnotationChange(Body):
    """A new body (and, for a suggestion, new wording); what is left out stays."""

    invalid_message: ClassVar[str] = NewThread.invalid_message

    # Left out: unchanged; null is refused.
    body: Text = Field(None, json_schema_extra=lambda schema: schema.pop("default"))  # type: ignore[assignment]
    proposed_text: Text | None = None
    language: Language | None = None
    """Left out: unchanged."""

    @model_validator(mode="after")
    def _something(self) -> AnnotationChange:
        if not self.model_fields_set:
            raise problem("body", "required (or proposed_text, for a suggestion)")
        return self


class NewDisposition(Body):
    """An editors' answer to a thread."""

    outcome: DispositionOutcome
    response: Text | None = ""
    language: Language | None = None
    version: Text | None = Field(None, description="The label of the version that answers it.")


class NewFlag(Body):
    """A report to the moderators."""

    required_messages: ClassVar[dict[str, str]] = {
        "reason": f"required: one of {', '.join(r.value for r in FlagReason)}"
    }

    reason: Annotated[Text, Field(json_schema_extra={"enum": [r.value for r in FlagReason]})]
    note: Text | None = None


class DecisionTarget(Body):
    type: Text
    id: WholeNumber


def _until(value: str | None) -> datetime | None:
    """An ISO 8601 date (the suspension lasts through that day, UTC, as on the account
    page) or date-time (UTC unless it says otherwise)."""
    if value is None:
        return None
    text = value.strip()
    refusal = PydanticCustomError("until", "must be an ISO 8601 date (2030-01-31) or date-time")
    if not text or len(text) > 40 or not text.isascii():
        raise refusal
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max, UTC)
        parsed = datetime.fromisoformat(text)
        # Near year 1 or 9999 an offset can carry the time past the calendar's end.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise refusal from None


class NewDecision(Body):
    """A moderator's decision on one item."""

    type_messages: ClassVar[dict[str, str]] = {"until": "must be an ISO 8601 date or date-time"}

    target: DecisionTarget
    action: Text
    reason: Text
    until: Annotated[
        Text | None, AfterValidator(_until), Field(json_schema_extra={"format": "date-time"})
    ] = None


# A label is checked once its spaces are collapsed (the services do it): documented here.
Label = Annotated[Text, Field(json_schema_extra={"maxLength": column_length(Term, "label")})]


class NewTerm(Body):
    """A new term, with a first proposed definition when `definition` is given."""

    label: Label
    definition: Text | None = None
    rationale: Text | None = None
    language: Language | None = None
    """The first definition's language."""

    @model_validator(mode="after")
    def _not_blank(self) -> NewTerm:
        if _blank(self.definition):
            raise problem(
                "definition", "must not be blank (leave it out to start a term without one)"
            )
        return self


class NewProposal(Body):
    text: Text
    rationale: Text | None = None
    language: Language | None = None


class NewVote(Body):
    required_messages: ClassVar[dict[str, str]] = {"stance": "required: support or oppose"}

    stance: Annotated[Text, Field(json_schema_extra={"enum": ["support", "oppose"]})]


class NewProposalComment(Body):
    body: Text
    parent: WholeNumber | None = Field(None, description="The comment answered.")
    language: Language | None = None


class NoBody(Body):
    """No body, or `{}`."""

    @classmethod
    def unknown_message(cls, name: str) -> str:
        return "unknown field (this request takes no body, or `{}`)"


class Adoption(Body):
    text: Text | None = Field(None, description="The wording adopted, if edited.")

    @model_validator(mode="after")
    def _not_blank(self) -> Adoption:
        if _blank(self.text):
            raise problem("text", "must not be blank (leave it out to adopt the text as proposed)")
        return self


class Rejection(Body):
    reason: Text


class Aliases(Body):
    required_messages: ClassVar[dict[str, str]] = {
        "aliases": "required (an empty list removes them all)"
    }

    aliases: Annotated[list[Label], Strict()]


class NewVersion(Body):
    """A paper's next version, as its Markdown source."""

    source: Text

    @model_validator(mode="after")
    def _not_empty(self) -> NewVersion:
        if _blank(self.source):
            raise problem("source", "must not be empty")
        return self


class NewVersionFile(Body):
    """A paper's next version as an uploaded file, sent as `multipart/form-data`: Markdown
    with front matter (`.md`), or a Word or OpenDocument text (`.docx`, `.odt`) converted
    with pandoc, whose front matter is the latest version's with `version`, the day's
    date and `change_note`."""

    invalid_message: ClassVar[str] = "The upload is not valid; `fields` says what to change."
    required_messages: ClassVar[dict[str, str]] = {
        "file": "required: the source as a file (.md, .docx or .odt)"
    }

    file: Annotated[
        str,
        Field(
            json_schema_extra={"format": "binary", "contentMediaType": "application/octet-stream"}
        ),
    ]
    """The source: `.md` (UTF-8), `.docx` or `.odt`; at most 2 MB."""
    version: Text | None = None
    """For a document: the new version's number (default: the latest's with its last
    number raised by one, 5.0 → 5.1). Ignored for Markdown, whose front matter says it."""
    change_note: Text | None = None
    """The change note; for Markdown it replaces the front matter's."""


# --- query parameters -------------------------------------------------------------------


def _digits(why: str, low: int, high: int):
    """ASCII digits only ("²".isdigit() is true, but int() refuses it), from low to high."""

    def read(value: Any) -> int:
        if isinstance(value, int):
            return value
        if not (value.isascii() and value.isdigit() and len(value) <= 12) or not (
            low <= int(value) <= high
        ):
            raise PydanticCustomError("parameter", why)
        return int(value)

    return BeforeValidator(read)


def _one_of(values: Any, *, optional: bool = False) -> Any:
    """A text among `values` (read when validating: some are registered at start-up)."""

    def check(value: str | None) -> str | None:
        allowed = [str(v) for v in (values() if callable(values) else values)]
        if value is not None and value not in allowed:
            raise PydanticCustomError("one_of", f"must be one of {', '.join(allowed)}")
        return value

    def schema(json_schema: dict[str, Any]) -> None:
        allowed = [str(v) for v in (values() if callable(values) else values)]
        json_schema.pop("anyOf", None)
        if json_schema.get("default", "") is None:
            del json_schema["default"]
        json_schema.update(type="string", enum=allowed)

    kind = str | None if optional else str
    return Annotated[kind, AfterValidator(check), Field(json_schema_extra=schema)]


Limit = Annotated[
    int,
    Field(ge=1, le=MAX_LIMIT, description="Items per page."),
    _digits(f"must be a whole number from 1 to {MAX_LIMIT}", 1, MAX_LIMIT),
]


class Query(BaseModel):
    """Query parameters: others are ignored."""

    model_config = ConfigDict(extra="ignore")
    invalid_message: ClassVar[str] = "invalid list parameters"


class Page(Query):
    limit: Limit = DEFAULT_LIMIT
    after: Annotated[
        int,
        Field(ge=0, le=MAX_ID, description="The cursor given in `next`."),
        _digits("must be the cursor given in `next`", 0, MAX_ID),
    ] = 0


def _queue_types() -> list[str]:
    return [k.value for k in CONTENT_TYPES]


TermState = _one_of(FILTERS)
QueueState = _one_of(QUEUE_STATES)
QueueType = _one_of(_queue_types, optional=True)
Reason = _one_of([r.value for r in FlagReason], optional=True)
Kind = _one_of([k.value for k in AnnotationKind], optional=True)
Sort = _one_of(SORTS)


class TermsQuery(Page):
    state: TermState = "all"


class QueueQuery(Page):
    state: QueueState = "all"
    type: QueueType = None
    reason: Reason = None


class ThreadsQuery(Query):
    section: str | None = Field(None, description="Only the threads of this section.")
    kind: Kind = None
    sort: Sort = "oldest"
    limit: Limit = DEFAULT_LIMIT
    after: str | None = Field(None, description="The opaque cursor given in `next`.")


SearchType = _one_of(list(SEARCH_KINDS), optional=True)
Stakeholder = _one_of([k.value for k in StakeholderType], optional=True)


class SearchQuery(Page):
    """A search: `q`, the words (an empty one finds nothing; the engines' own syntax is
    read as words, text between double quotes as a phrase), and the filters. `after`
    counts the results already given."""

    invalid_message: ClassVar[str] = "invalid search parameters"

    q: str = Field(
        "", description="The words to look for.", json_schema_extra={"maxLength": MAX_QUERY}
    )
    type: SearchType = None
    kind: Kind = None
    paper: str | None = Field(None, description="A paper's slug: its sections and threads only.")
    version: str | None = Field(
        None, description="A version's label (with `paper`, of that paper)."
    )
    author: str | None = Field(None, description="Part of the author's name, in any case.")
    author_id: Annotated[
        int | None,
        Field(ge=1, le=MAX_ID, description="The author's account id."),
        _digits("must be an account id", 1, MAX_ID),
    ] = None
    stakeholder: Stakeholder = None


class ThreadQuery(Query):
    version: str | None = Field(
        None, description="Show the thread where it stands in this version."
    )


def _flag(value: Any) -> bool:
    flags = {"1": True, "true": True, "0": False, "false": False}
    text = str(value).strip().lower()
    if text not in flags:
        raise PydanticCustomError("parameter", "must be 1 or 0 (true or false)")
    return flags[text]


class PublishQuery(Query):
    invalid_message: ClassVar[str] = "invalid parameters"

    dry_run: Annotated[bool, BeforeValidator(_flag)] = Field(
        False, description="1: preview what publishing would do, store nothing."
    )


# --- output -----------------------------------------------------------------------------

Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Day = Annotated[str, Field(json_schema_extra={"format": "date"})]
Url = Annotated[str, Field(json_schema_extra={"format": "uri"})]


class Answer(BaseModel):
    """An answer: presenters build it, views dump it (members left out stay out)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class ErrorDetail(Answer):
    code: str = Field(description="Machine-readable: `invalid`, `not_found`, ...")
    message: str = Field(description="For people.")
    fields: dict[str, str] | None = Field(
        None, description="Each field at fault (`quote.start` for nested ones) and why."
    )
    line: int | None = Field(None, description="For an error in a paper source: its line.")
    request_id: str | None = Field(
        None, description="The request's id, also sent as `X-Request-ID`: quote it in a report."
    )


class Error(Answer):
    """A refusal, in the CONTRACT's format."""

    error: ErrorDetail


class Person(Answer):
    id: int
    name: str


class PaperItem(Answer):
    slug: str
    title: str
    number: int | None
    series: str
    latest_version: str
    url: Url


class PaperList(Answer):
    items: list[PaperItem]
    total: int
    next: Url | None


class CommentPeriod(Answer):
    opens: Day | None
    closes: Day | None
    state: Literal["open", "upcoming", "closed", "none"]


class VersionRef(Answer):
    version: str
    published_at: Time | None
    date: Day | None
    change_note: str | None
    url: Url


class Paper(Answer):
    slug: str
    title: str
    number: int | None
    series: str
    authors: list[str]
    editors: list[str]
    latest_version: str
    comment_period: CommentPeriod
    versions: list[VersionRef]
    html_url: Url


class Note(Answer):
    label: str
    text: str
    html: str


class Section(Answer):
    key: str
    number: str | None
    title: str
    level: int
    parent: str | None
    position: int
    text: str = Field(description="The text offsets count in.")
    html: str
    notes: list[Note]


class Version(Answer):
    paper: str
    version: str
    title: str
    authors: list[str]
    editors: list[str]
    date: Day | None
    published_at: Time | None
    change_note: str | None
    acknowledgement: str | None
    sections: list[Section]
    html_url: Url


class PublishedVersion(Version):
    reanchoring: dict[str, int] = Field(description="How many threads landed how.")


class SectionRef(Answer):
    key: str
    number: str | None
    title: str | None


class SectionChange(Answer):
    fate: str
    labels: list[str]
    old: SectionRef | None
    new: SectionRef | None
    similarity: float


class ThreadLanding(Answer):
    annotation: int
    section: str | None
    from_section: str | None
    status: str
    to_section: str | None
    start: int | None
    end: int | None
    exact: str | None
    score: float | None


class PreviewDetail(Answer):
    dry_run: Literal[True]
    previous_version: str | None
    sha256: str
    source: str
    """The source that would be published (a .docx or .odt converted to Markdown with its
    front matter): correct it and send it back as `{source}`."""
    sections: list[SectionChange]
    threads: list[ThreadLanding]


class VersionPreview(Answer):
    paper: str
    version: str
    title: str
    change_note: str | None
    published_at: None
    sections: list[Section]
    reanchoring: dict[str, int]
    preview: PreviewDetail


class Quote(Answer):
    exact: str
    prefix: str | None
    suffix: str | None
    start: int | None
    end: int | None


class Anchor(Answer):
    """Where a thread stands in the version asked for: where it was made on its own
    version; in a later one, where re-anchoring placed it."""

    version: str
    section: str | None
    start: int | None
    end: int | None
    exact: str | None
    status: str
    """`exact` on its own version; later `exact`, `moved`, `fuzzy`, `applied` (a suggestion
    whose proposed wording that version took up: `exact` holds the new words) or
    `orphaned` (its words are gone)."""


class Disposition(Answer):
    outcome: str
    response: str | None
    response_html: str | None
    version: str | None
    """The label of the version that answers it; null when none is named."""
    editor: Person | None
    """null once the editor's account is gone."""
    created: Time | None
    language: str = Field("en", examples=["de"])
    """The BCP 47 primary tag of the language it is written in."""


class Moderation(Answer):
    """Where an annotation stands with the moderators."""

    state: str
    reason: str | None
    """The reason given with the latest decision; null while nobody has decided (a new
    pending contribution)."""
    decided_at: Time | None


class AnnotationLinks(Answer):
    self: Url
    html: Url
    thread: Url
    version: Url
    parent: Url | None = None


class Annotation(Answer):
    """A thread's root or a reply. A deleted contribution that still has replies stays as a
    placeholder: status `deleted`, `body` and `body_html` empty, `author` null (the words
    and the name go together)."""

    id: int
    paper: str
    """The paper's slug."""
    version: str
    """The version it was made on."""
    section: str | None
    """The section's key."""
    kind: AnnotationKind
    """Replies are `comment`."""
    body: str
    """Markdown, exactly as written."""
    body_html: str
    """The body rendered and sanitised: no scripts, styles or event handlers; links are
    http, https or mailto only."""
    language: str = Field("en", examples=["de"])
    """The BCP 47 primary tag of the language it is written in."""
    author: Person | None
    created: Time | None
    updated: Time | None
    parent: int | None
    """null for a root."""
    root: int
    """The id of the thread's root (its own id for a root)."""
    status: AnnotationStatus
    quote: Quote | None
    anchor: Anchor
    reply_count: int = Field(ge=0)
    """For a root, the visible replies in its thread; for a reply, the visible direct
    answers to it."""
    disposition: Disposition | None
    """The editors' current answer to a thread (its latest disposition); null while there
    is none, for replies, and for placeholders."""
    target: TargetType | None = None
    """What a root is about; null for replies."""
    depth: int = Field(0, ge=0)
    """0 for a root."""
    edited: bool = False
    edited_at: Time | None = None
    proposed_text: str | None = None
    """A suggestion's proposed wording."""
    proposed_diff: list[tuple[Literal[-1, 0, 1], str]] | None = None
    """Word-level change from the quote to the proposed wording: [op, text] pairs, op -1
    deleted, 0 kept, 1 inserted."""
    url: Url | None = None
    """The thread's page on the site."""
    links: AnnotationLinks | None = None
    moderation: Moderation | None = None
    """Where it stands with the moderators: present only for its author and moderators,
    and only while its status is pending, hidden or rejected; absent otherwise."""


class Thread(Annotation):
    replies: list[Annotation] = Field(default=[], description="Visible replies, oldest first.")


class AnnotationList(Answer):
    items: list[Annotation]
    total: int
    next: Url | None


class Target(Answer):
    type: str
    id: int


class Flag(Answer):
    id: int
    target: Target
    reason: str
    note: str | None
    created: Time | None
    reporter: Person | None = None


class Decision(Answer):
    id: int
    moderator: Person | None
    target: Target
    subject: int | None
    action: str
    old_state: str | None
    new_state: str | None
    reason: str | None
    created: Time | None


class AuthorRecord(Answer):
    id: int
    name: str
    joined: Time | None
    published: int
    pending: int
    rejected: int
    hidden: int
    suspended: bool
    restricted: bool


class QueueContext(Answer):
    paper: str
    version: str
    section: SectionRef
    quote: Quote | None
    root: int | None
    parent: int | None


class TermRef(Answer):
    id: int
    slug: str
    label: str
    status: str


class ProposalRef(Answer):
    id: int
    text: str
    text_html: str
    author: Person | None
    status: str


class CommentRef(Answer):
    id: int
    body: str
    body_html: str
    author: Person | None
    status: str


class GlossaryContext(Answer):
    term: TermRef | None
    proposal: ProposalRef | None
    parent: CommentRef | None


class QueuedTerm(Answer):
    id: int
    slug: str
    label: str
    aliases: list[str]
    author: Person | None
    status: str
    created: Time | None
    html_url: Url


class ProposalWords(Answer):
    """What a proposal says and who proposed it."""

    id: int
    text: str
    text_html: str
    rationale: str
    rationale_html: str
    author: Person | None
    status: str
    created: Time | None
    language: str = Field("en", examples=["de"])
    """The BCP 47 primary tag of the language it is written in."""


class QueuedProposal(ProposalWords):
    term: str | None
    html_url: Url | None


class QueueItem(Answer):
    """One item awaiting a decision: `annotation`, `term`, `proposal` or `comment` says
    which kind, with its `context`."""

    target: Target
    state: Literal["pending", "flagged"]
    since: Time | None
    status: str
    annotation: Annotation | None = None
    term: QueuedTerm | None = None
    proposal: QueuedProposal | None = None
    comment: QueuedComment | None = None
    context: QueueContext | GlossaryContext
    author: AuthorRecord | None
    flags: list[Flag]


class ModerationQueue(Answer):
    items: list[QueueItem]
    total: int
    next: Url | None


class Votes(Answer):
    support: int
    oppose: int


class AdoptedWording(Answer):
    at: Time | None
    by: Person | None
    text: str
    text_html: str
    edited: bool


class Proposal(ProposalWords):
    term: str
    votes: Votes
    my_vote: str | None
    updated: Time | None
    adopted: AdoptedWording | None
    superseded_at: Time | None
    editor_reason: str | None
    url: Url


class ProposalComment(Answer):
    id: int
    proposal: int
    parent: int | None
    body: str
    body_html: str
    author: Person | None
    status: str
    created: Time | None
    language: str = Field("en", examples=["de"])
    """The BCP 47 primary tag of the language it is written in."""


class QueuedComment(ProposalComment):
    html_url: Url | None


class ProposalDetail(Proposal):
    comments: list[ProposalComment] = []


class Term(Answer):
    slug: str
    label: str
    aliases: list[str]
    status: str
    author: Person | None
    created: Time | None
    updated: Time | None
    definition: Proposal | None
    open_proposals: int
    url: Url
    html_url: Url


class Occurrence(Answer):
    paper: str
    version: str
    section: str | None
    count: int


class TermDetail(Term):
    proposals: list[Proposal] = []
    history: list[Proposal] = []
    occurrences: list[Occurrence] = []


class TermList(Answer):
    items: list[Term]
    total: int
    next: Url | None


class SearchHit(Answer):
    type: Literal["section", "annotation", "proposal", "term"]
    id: int = Field(description="The id of the section, annotation, proposal or term.")
    url: Url = Field(description="Its page on the site.")
    title: str = Field(description="A section's heading, a term's label; else empty.")
    snippet: str = Field(
        description="HTML: the words around the match, escaped, the matched ones in `<mark>`."
    )
    score: float = Field(description="How well it matched: results come best first.")
    paper: str | None = Field(None, description="Of a section or annotation: the paper's slug.")
    version: str | None = Field(None, description="The label of the version it belongs to.")
    section: str | None = Field(None, description="The section's key.")
    kind: str | None = Field(None, description="Of an annotation: comment, question, …")
    parent: int | None = Field(None, description="Of a reply: the annotation it answers.")
    term: str | None = Field(None, description="Of a proposal or term: the term's slug.")
    status: str | None = Field(None, description="Of a contribution: its status.")
    author: Person | None = None
    created: Time | None = None


class SearchResults(Answer):
    items: list[SearchHit]
    total: int
    next: Url | None


class Vote(Answer):
    proposal: int
    stance: str
    created: Time | None
    updated: Time | None
    votes: Votes


# --- editors' exports ---------------------------------------------------------------------


class ExportAuthor(Answer):
    """Who wrote it: never an e-mail address."""

    id: int
    name: str
    """The display name; "Former participant" once the account is deleted."""
    stakeholder_type: str | None
    """public_administration, academia, business, civil_society, eu_institution or other."""
    country: str | None
    """ISO 3166 alpha-2, when the author gave one."""


class ExportSection(Answer):
    """The section of the exported version where the thread stands."""

    key: str | None
    """null when the thread's section is gone from this version (orphaned)."""
    number: str | None
    title: str | None


class ExportQuote(Answer):
    """The quoted words and their offsets as anchored in the exported version (code
    points of the section's `text`); null members for a whole-section comment or an
    orphan."""

    exact: str | None
    start: int | None
    end: int | None


class ExportAnswer(Answer):
    """The editors' current answer to a thread."""

    outcome: DispositionOutcome
    response: str
    """Markdown, as written; empty for `noted` without a response."""
    answered_at: Time
    answered_by: Person | None
    """null once the editor's account is gone."""
    version: str | None
    """The label of the version that answers it, when one is named."""


class ExportedContribution(Answer):
    """A thread shown on the version (made on it or carried into it) or a published reply
    in one."""

    type: Literal["thread", "reply"]
    id: int
    root: int
    """The thread's first contribution (its own id for a thread)."""
    parent: int | None
    """The contribution a reply answers; null for a thread."""
    made_on: str
    """The label of the version it was written on."""
    section: ExportSection
    """For a reply, its thread's."""
    kind: AnnotationKind
    target: TargetType | None
    """section, paragraph or passage for a thread; null for a reply."""
    status: AnnotationStatus
    quote: ExportQuote | None
    """A thread's quote as anchored in this version; null for a reply."""
    anchor_status: str | None
    """How the thread stands in this version: exact (made on it, or carried word for
    word), moved, fuzzy, applied or orphaned; null for a reply."""
    body: str
    """Markdown, exactly as written."""
    proposed_text: str | None
    """A suggestion's proposed wording."""
    created: Time
    updated: Time
    reply_count: int = Field(ge=0)
    """The exported replies in a thread (for a thread) or answering it (for a reply)."""
    disposition: ExportAnswer | None
    """null for a reply, and for a thread not answered yet."""
    author: ExportAuthor
    url: Url
    """The contribution's page on the site."""


class ExportTerm(Answer):
    slug: str
    label: str
    occurrences: int = Field(ge=1)
    """How often the term (or one of its aliases) occurs in the version's text."""


class ExportedProposal(Answer):
    """A proposed definition of a glossary term that occurs in the version's text."""

    id: int
    term: ExportTerm
    text: str
    """Markdown, exactly as written."""
    rationale: str
    status: Literal["published", "adopted", "superseded", "withdrawn"]
    """published: open for votes."""
    votes: Votes
    created: Time
    updated: Time
    adopted_at: Time | None
    author: ExportAuthor
    url: Url
    """The term's page in the glossary, where the proposal stands."""


class VersionExport(Answer):
    """Every public contribution of a version, for the editors (`export.json`; the same
    rows as `export.csv`)."""

    paper: str
    """The paper's slug."""
    version: str
    exported_at: Time
    contributions: list[ExportedContribution]
    """Threads oldest first, each followed by its replies in the order written."""
    proposals: list[ExportedProposal]
    """In the order proposed."""


class Campaign(Answer):
    """A group of near-identical threads on a version: copies of one text with small
    changes (`app.editor.campaigns` says how they are found)."""

    size: int
    """How many threads the group has."""
    annotations: list[int]
    """The ids of its threads, in increasing order."""
    sample: str
    """The body (Markdown) of its first thread."""


class CampaignList(Answer):
    """A version's campaigns, by their first thread's id; `after` is that id."""

    items: list[Campaign]
    total: int
    next: Url | None
