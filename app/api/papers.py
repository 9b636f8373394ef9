"""JSON API for papers: read them and their versions; editors publish new versions."""

from __future__ import annotations

from pathlib import PurePath

from flask import jsonify, request, url_for

from app.api import presenters, schemas, validation
from app.api.blueprint import answer, bp, created, signed_in
from app.core.errors import ApiError, error_json
from app.core.permissions import can_edit_papers
from app.core.ratelimits import account_key
from app.core.urls import absolute_url
from app.editor import documents, publishing
from app.extensions import limiter
from app.papers import queries
from app.papers.services import VersionConflict
from app.papers.source import SourceError

# As for the editors' page (app.editor.forms): a Markdown source of at most 2 MB.
MAX_SOURCE_BYTES = 2 * 1024 * 1024


@bp.errorhandler(SourceError)
def source_error(error: SourceError):
    """An error in a paper's source (422) or a version that cannot be published (409):
    the answer gives the line."""
    status, code = (409, "conflict") if isinstance(error, VersionConflict) else (422, "invalid")
    where = f"line {error.line}: {error.message}"
    response = error_json(status, where, code, {"source": where})
    body = response.get_json()
    body["error"]["line"] = error.line
    response.set_data(jsonify(body).get_data())
    return response


@bp.route("/papers")
def papers():
    """The published papers, a page at a time."""
    asked = validation.query(schemas.Page)
    limit, after = asked.limit, asked.after
    summaries = queries.paper_summaries(limit=limit + 1, after_id=after)
    more = len(summaries) > limit
    summaries = summaries[:limit]
    next_url = None
    if more:
        next_url = absolute_url("api.papers", limit=limit, after=summaries[-1].paper.id)
    items = [presenters.paper_item(s.paper, s.latest) for s in summaries]
    return answer(schemas.PaperList(items=items, total=queries.paper_count(), next=next_url))


@bp.route("/papers/<slug>")
def paper(slug: str):
    """One paper and its versions."""
    found = queries.paper_with_versions(slug)
    if found is None:
        raise ApiError(404, f"no paper '{slug}'")
    paper, versions = found
    return answer(presenters.paper_detail(paper, versions, queries.comment_period(paper)))


@bp.route("/papers/<slug>/versions/<label>")
def version(slug: str, label: str):
    """One version with its sections and their text, against which offsets count."""
    found = queries.version_by_label(slug, label)
    if found is None:
        raise ApiError(404, f"no paper '{slug}'")
    if found.version is None:
        raise ApiError(
            404, f"paper '{slug}' has no version '{label}' (versions: {found.known_labels})"
        )
    chosen = found.version
    return answer(presenters.version_detail(found.paper, chosen, queries.sections_of(chosen)))


@bp.post("/papers/<slug>/versions")
@limiter.limit(
    "30 per minute",
    key_func=account_key,
    error_message="Too many versions published or previewed at once; wait a minute.",
)
def publish_version(slug: str):
    """Editors publish a new version of an existing paper from its Markdown source, with
    the paper's threads carried forward; `?dry_run=1` previews and stores nothing.

    401 without credentials, 403 for non-editors, 400/415/422 for the body, 404 for an
    unknown paper (a paper's first version comes from `flask papers import`), 422 with
    the line for an error in the source, 409 for a version number already published or
    older than the latest.
    """
    editor = signed_in("Authenticate with a bearer token or a session.")
    if not can_edit_papers(editor):
        raise ApiError(403, "Only series editors publish versions.", code="forbidden")
    dry_run = validation.query(schemas.PublishQuery).dry_run
    upload = None
    if request.mimetype == "multipart/form-data":
        upload = _upload()
    else:
        source = validation.body(schemas.NewVersion).source
    found = queries.paper_with_versions(slug)
    if found is None:
        raise ApiError(
            404,
            f"no paper '{slug}'; a paper's first version is imported with `flask papers import`",
        )
    paper = found[0]
    filename = f"{slug}.md"
    if upload is not None:
        source, filename = _uploaded_source(slug, *upload)
    if dry_run:
        result = publishing.preview(slug, source, filename)  # reads only
        if result.error is not None:
            raise result.error
        return answer(presenters.publish_preview(paper, result))
    version, counts = publishing.publish(editor, slug, source, filename)
    body = presenters.published_version(paper, version, queries.sections_of(version), counts)
    return created(body, url_for("api.version", slug=slug, label=version.label))


def _upload() -> tuple[schemas.NewVersionFile, bytes, str]:
    """A multipart body: its fields read as `NewVersionFile`, the file's bytes and name."""
    data: dict[str, object] = dict(request.form.items())
    for name, file in request.files.items():
        data[name] = file.filename or ""
    fields = validation.body(schemas.NewVersionFile, data=data)
    file = request.files.get("file")
    if file is None:  # a `file` sent as a plain field, not as a file
        raise ApiError(
            422, "Send the source as a file.", code="invalid", fields={"file": "must be a file"}
        )
    name = PurePath((file.filename or "").replace("\\", "/")).name[:200]
    return fields, file.read(), name


def _uploaded_source(slug: str, fields: schemas.NewVersionFile, data: bytes, name: str
                     ) -> tuple[str, str]:  # fmt: skip
    """The source of an uploaded file and the name its errors are reported against: a
    document converted, Markdown decoded; 422 naming `file` when neither can be done."""

    def refuse(why: str, status: int = 422):
        return ApiError(status, f"file: {why}", code="invalid", fields={"file": why})

    if documents.is_document(name):
        try:
            text = documents.source_from_document(
                slug, data, name, version=fields.version, change_note=fields.change_note
            )
        except documents.ConversionError as error:
            raise refuse(str(error)) from None
        return text, name
    if not name.lower().endswith((".md", ".markdown")):
        raise refuse("send a Markdown file (.md) or a document (.docx, .odt)")
    if len(data) > MAX_SOURCE_BYTES:
        raise refuse("the file is larger than 2 MB", 413)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise refuse(f"the file is not UTF-8 ({error.reason})") from None
    if "\x00" in text:
        raise refuse("the file contains the character U+0000")
    if not text.strip():
        raise refuse("the file is empty")
    return publishing.with_change_note(text, fields.change_note), name
