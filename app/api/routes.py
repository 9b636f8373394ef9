"""What each route of the JSON API takes and answers, declared once: its query parameters,
its body and its answers by status, as models of `app.api.schemas`. The OpenAPI document
(`app.api.openapi`) adds the method and path from the URL map and the summary from the
view's docstring; a test checks that every route is declared and every declaration routed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from app.api import schemas as s

# A W3C Web Annotation collection (JSON-LD).
WEB_ANNOTATION = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
CSV = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Route:
    """What a route takes and answers; its method and path come from the URL map."""

    answers: dict[int, type[BaseModel] | None]  # by status; None: no body (204) or any
    query: type[s.Query] | None = None
    body: tuple[type[s.Body], ...] = ()  # more than one: one of them
    errors: tuple[int, ...] = ()  # beyond those every request of its kind may meet
    body_optional: bool = False
    # Also taken as multipart/form-data (an uploaded file), described by this model.
    multipart: type[s.Body] | None = None
    media_type: str = "application/json"  # of the answers with a body


FLAG = Route({201: s.Flag}, body=(s.NewFlag,), errors=(409,))
ROUTES: dict[str, Route] = {
    "papers": Route({200: s.PaperList}, query=s.Page),
    "paper": Route({200: s.Paper}),
    "version": Route({200: s.Version}),
    "publish_version": Route(
        {200: s.VersionPreview, 201: s.PublishedVersion},
        query=s.PublishQuery,
        body=(s.NewVersion,),
        multipart=s.NewVersionFile,
        errors=(409, 413),
    ),
    "create_annotation": Route({201: s.Annotation}, body=(s.NewThread, s.NewReply), errors=(409,)),
    "annotation": Route({200: s.Thread}, query=s.ThreadQuery),
    "edit_annotation": Route({200: s.Annotation}, body=(s.AnnotationChange,), errors=(409,)),
    "delete_annotation": Route({204: None}, errors=(409,)),
    "version_annotations": Route({200: s.AnnotationList}, query=s.ThreadsQuery),
    "answer_thread": Route({201: s.Disposition}, body=(s.NewDisposition,), errors=(409,)),
    "flag_annotation": FLAG,
    "moderation_queue": Route({200: s.ModerationQueue}, query=s.QueueQuery, errors=(401, 403)),
    "moderation_decision": Route({201: s.Decision}, body=(s.NewDecision,), errors=(409,)),
    "terms": Route({200: s.TermList}, query=s.TermsQuery),
    "term": Route({200: s.TermDetail}),
    "proposal": Route({200: s.ProposalDetail}),
    "create_term": Route({201: s.TermDetail}, body=(s.NewTerm,), errors=(409,)),
    "create_proposal": Route({201: s.Proposal}, body=(s.NewProposal,), errors=(409,)),
    "vote": Route({200: s.Vote}, body=(s.NewVote,), errors=(409,)),
    "withdraw_vote": Route({204: None}, errors=(409,)),
    "create_comment": Route({201: s.ProposalComment}, body=(s.NewProposalComment,), errors=(409,)),
    "withdraw": Route({200: s.Proposal}, body=(s.NoBody,), errors=(409,), body_optional=True),
    "adopt": Route({200: s.Proposal}, body=(s.Adoption,), errors=(409,), body_optional=True),
    "reject": Route({200: s.Proposal}, body=(s.Rejection,), errors=(409,)),
    "set_aliases": Route({200: s.TermDetail}, body=(s.Aliases,), errors=(409,)),
    "flag_term": FLAG,
    "flag_proposal": FLAG,
    "flag_comment": FLAG,
    "openapi_document": Route({200: None}),
    "paper_annotations": Route({200: None}, media_type=WEB_ANNOTATION),
    "search": Route({200: s.SearchResults}, query=s.SearchQuery),
    "export_csv": Route({200: None}, errors=(401, 403), media_type=CSV),
    "export_json": Route({200: s.VersionExport}, errors=(401, 403)),
    "version_campaigns": Route({200: s.CampaignList}, query=s.Page, errors=(401, 403)),
}
