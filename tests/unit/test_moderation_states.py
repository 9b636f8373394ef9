"""The states moderation shares across kinds: typed, and compared by identity."""

from __future__ import annotations

import enum
from dataclasses import replace

import pytest

from app.core.urls import safe_next
from app.models import (
    AnnotationStatus,
    CommentStatus,
    ProposalStatus,
    TargetKind,
    TermStatus,
)
from app.moderation import services
from app.moderation.labels import state_label
from app.moderation.states import (
    AccountState,
    ModerationState,
    is_approved,
    is_deleted,
    is_gone,
)
from app.moderation.targets import CONTENT_TYPES, register

STATUS_ENUMS = (AnnotationStatus, TermStatus, ProposalStatus, CommentStatus)


@pytest.mark.parametrize("status_enum", STATUS_ENUMS)
def test_every_moderated_kind_has_the_shared_states(status_enum):
    for state in ModerationState:
        member = state.of_kind(status_enum)
        assert isinstance(member, status_enum)
        assert ModerationState.of(member) is state


def test_a_status_of_a_kind_s_own_has_no_shared_state():
    for status in (ProposalStatus.ADOPTED, ProposalStatus.WITHDRAWN, AnnotationStatus.DELETED):
        assert ModerationState.of(status) is None


def test_every_registered_kind_maps_shared_states_to_its_own_members():
    assert {ct.status_enum for ct in CONTENT_TYPES.values()} == set(STATUS_ENUMS)
    for ct in CONTENT_TYPES.values():
        assert ct.status(ModerationState.HIDDEN) is ct.status_enum.HIDDEN


def test_a_kind_whose_status_lacks_a_shared_state_cannot_be_registered():
    class Partial(enum.StrEnum):
        PENDING = "pending"
        PUBLISHED = "published"

    annotation = CONTENT_TYPES[TargetKind.ANNOTATION]
    with pytest.raises(TypeError, match="HIDDEN, REJECTED"):
        register(replace(annotation, status_enum=Partial))
    assert CONTENT_TYPES[TargetKind.ANNOTATION] is annotation


def test_transitions_are_keyed_by_shared_states():
    for moves in services.TRANSITIONS.values():
        for before, after in moves.items():
            assert isinstance(before, ModerationState) and isinstance(after, ModerationState)


def test_approved_means_published_or_adopted_once():
    assert is_approved(TermStatus.PUBLISHED)
    assert is_approved(ProposalStatus.ADOPTED)
    assert is_approved(ProposalStatus.SUPERSEDED)
    assert not is_approved(ProposalStatus.WITHDRAWN)
    assert not is_approved(CommentStatus.PENDING)
    proposals = CONTENT_TYPES[TargetKind.PROPOSAL]
    assert set(services.approved_statuses(proposals)) == {
        ProposalStatus.PUBLISHED,
        ProposalStatus.ADOPTED,
        ProposalStatus.SUPERSEDED,
    }


def test_deleted_and_gone_speak_of_every_kind():
    class Item:
        def __init__(self, status):
            self.status = status

    assert is_deleted(Item(AnnotationStatus.DELETED)) and is_deleted(Item(CommentStatus.DELETED))
    assert not is_deleted(Item(TermStatus.REJECTED))
    assert is_gone(Item(TermStatus.REJECTED)) and is_gone(Item(CommentStatus.DELETED))
    assert not is_gone(Item(ProposalStatus.HIDDEN))


def test_states_have_words_whether_given_as_enum_or_as_stored_text(app):
    with app.test_request_context():
        assert state_label(ModerationState.PENDING) == "awaiting review"
        assert state_label(TermStatus.PENDING) == "awaiting review"
        assert state_label("pending") == "awaiting review"
        assert state_label(AccountState.SUSPENDED) == "suspended"
        assert state_label(ProposalStatus.ADOPTED) == "adopted"


def test_the_initial_status_is_a_member_of_the_kind_s_enum(app, create_user):
    trusted = create_user()
    with app.test_request_context():
        for status_enum in STATUS_ENUMS:
            status = services.initial_status(trusted, status_enum)
            assert status is status_enum.PUBLISHED


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/glossary/term", "/glossary/term"),
        ("/moderation/?state=pending", "/moderation/?state=pending"),
        ("//evil.example/", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("/line\nbreak", None),
        ("relative/path", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next_keeps_only_paths_on_this_site(target, expected):
    assert safe_next(target) == expected
