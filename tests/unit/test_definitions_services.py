"""The glossary's rules: terms, proposals, one vote per account, adoption and its history."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.definitions import queries, services
from app.definitions.services import DefinitionError
from app.models import (
    DefinitionProposal,
    ProposalStatus,
    Role,
    Term,
    TermStatus,
    Vote,
    VoteStance,
)


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Edna Editor")


@pytest.fixture
def term(user, db):
    created, _ = services.create_term(user, "citizen-centric", aliases=["citizen centric"])
    db.session.commit()
    return created


def test_a_term_with_a_first_definition(user, db):
    term, proposal = services.create_term(
        user, "  New   Public Management ", definition="A *reform* doctrine.", rationale="Hood"
    )
    db.session.commit()
    assert (term.label, term.slug, term.status) == (
        "New Public Management",
        "new-public-management",
        TermStatus.PUBLISHED,
    )
    assert proposal.term_id == term.id and "<em>reform</em>" in proposal.text_html
    assert proposal.status is ProposalStatus.PUBLISHED


@pytest.mark.parametrize("label", ["CITIZEN-CENTRIC", "citizen-centric ", "Citizen Centric"])
def test_a_label_or_alias_in_use_is_refused_whatever_its_case(term, create_user, db, label):
    with pytest.raises(DefinitionError) as caught:
        services.create_term(create_user(), label, definition="Another.")
    assert caught.value.status == 409 and caught.value.field == "label"
    assert count(db, Term) == 1 and count(db, DefinitionProposal) == 0


@pytest.mark.parametrize(
    ("label", "definition", "field"),
    [("", None, "label"), ("x" * 121, None, "label"), ("—", None, "label"),
     ("ok", "  ", "text"), ("ok", "x" * 5001, "text")],
)  # fmt: skip
def test_bad_terms_and_definitions_store_nothing(user, db, label, definition, field):
    with pytest.raises(DefinitionError) as caught:
        services.create_term(user, label, definition=definition)
    assert caught.value.field == field and caught.value.status == 422
    db.session.rollback()
    assert count(db, Term) == 0


def test_a_newcomers_term_and_proposal_await_review(create_user, db):
    newcomer = create_user(trusted=False)
    term, proposal = services.create_term(newcomer, "public value", definition="What citizens…")
    db.session.commit()
    assert term.status is TermStatus.PENDING and proposal.status is ProposalStatus.PENDING
    assert [s.term.id for s in queries.glossary(newcomer)] == [term.id]
    assert queries.glossary(create_user()) == []
    assert queries.glossary(None) == []


def test_one_vote_per_account_changeable_and_never_on_ones_own(term, user, create_user, db):
    author = create_user()
    proposal = services.propose(author, term, "Centred on citizens' needs.")
    voter = create_user()
    services.vote(voter, proposal, "support")
    services.vote(voter, proposal, VoteStance.OPPOSE)
    db.session.commit()
    assert count(db, Vote) == 1
    assert (proposal.support_count, proposal.oppose_count) == (0, 1)
    with pytest.raises(DefinitionError) as caught:
        services.vote(author, proposal, "support")
    assert caught.value.status == 403
    with pytest.raises(DefinitionError) as caught:
        services.vote(voter, proposal, "maybe")
    assert caught.value.field == "stance"
    assert services.withdraw_vote(voter, proposal) is True
    db.session.commit()
    assert count(db, Vote) == 0 and proposal.oppose_count == 0


def test_no_vote_on_a_withdrawn_proposal(term, create_user, db):
    author = create_user()
    proposal = services.propose(author, term, "Centred on citizens.")
    services.withdraw(author, proposal)
    db.session.commit()
    with pytest.raises(DefinitionError) as caught:
        services.vote(create_user(), proposal, "support")
    assert caught.value.status == 409
    assert count(db, Vote) == 0


def test_adopting_twice_keeps_both_in_the_history_in_order(term, create_user, editor, db):
    first = services.propose(create_user(), term, "First wording.")
    second = services.propose(create_user(), term, "Second wording.")
    with pytest.raises(DefinitionError) as caught:
        services.adopt(create_user(), first)
    assert caught.value.status == 403
    services.adopt(editor, first)
    db.session.commit()
    services.adopt(editor, second, "Second wording, edited.")
    db.session.commit()
    page = queries.term_page(term, None)
    assert page.adopted.id == second.id and page.adopted.author_id == second.author_id
    assert "edited" in page.adopted.definition_html
    assert [p.id for p in page.history] == [first.id]
    assert first.status is ProposalStatus.SUPERSEDED and first.superseded_at is not None
    # Adopting the earlier one again puts the later one into the history.
    services.adopt(editor, first)
    db.session.commit()
    page = queries.term_page(term, None)
    assert page.adopted.id == first.id and [p.id for p in page.history] == [second.id]


def test_an_editor_rejects_with_a_reason_and_the_rejection_stays_on_record(
    term, create_user, editor, db
):
    proposal = services.propose(create_user(), term, "Too narrow.")
    with pytest.raises(DefinitionError):
        services.reject(editor, proposal, " ")
    services.reject(editor, proposal, "Too narrow for the project.")
    db.session.commit()
    assert queries.proposal_by_id(proposal.id, None) is not None
    with pytest.raises(DefinitionError) as caught:
        services.adopt(editor, proposal)
    assert caught.value.status == 409


def test_aliases_are_managed_by_editors_and_stay_unique(term, create_user, editor, db):
    other, _ = services.create_term(create_user(), "eGovernment")
    db.session.commit()
    with pytest.raises(DefinitionError) as caught:
        services.set_aliases(create_user(), term, ["citizen-centred"])
    assert caught.value.status == 403
    with pytest.raises(DefinitionError) as caught:
        services.set_aliases(editor, term, ["EGOVERNMENT"])
    assert caught.value.status == 409
    services.set_aliases(editor, term, ["citizen-centred", "Citizen-centred", "citizen centred"])
    db.session.commit()
    assert term.aliases == ["citizen-centred", "citizen centred"]
    assert other.aliases == []


def test_a_term_never_takes_the_slug_of_a_glossary_page(user, db):
    new, _ = services.create_term(user, "New")
    flag, _ = services.create_term(user, "Flag")
    assert (new.slug, flag.slug) == ("new-2", "flag-2")


def test_proposals_and_comments_store_their_language(term, user, create_user, db):
    proposal = services.propose(user, term, "Centré sur le citoyen.", language="fr")
    assert proposal.language == "fr"
    assert services.propose(create_user(), term, "Citizen first.").language == "en"
    comment = services.comment(create_user(), proposal, "Gut.", language="de")
    assert comment.language == "de"
    _term, first = services.create_term(user, "Gemeinwohl", definition="Das Wohl.", language="de")
    assert first.language == "de"
    with pytest.raises(DefinitionError) as refused:
        services.comment(user, proposal, "Hi.", language="tlh")
    assert refused.value.field == "language"
