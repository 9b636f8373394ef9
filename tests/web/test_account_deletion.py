"""A deleted account's contributions stay, credited to "Former participant" wherever a name
shows: pages, the API, and the export of another account."""

from __future__ import annotations

from app.accounts import services
from app.definitions import services as glossary
from tests.conftest import DEFAULT_PASSWORD

NAME = "Quorra Zyxwell"


def delete(user, db, app) -> None:
    with app.test_request_context():
        services.delete_account(user, DEFAULT_PASSWORD)
    db.session.commit()


def test_contributions_stay_under_former_participant(create_user, create_annotation, client, db,
                                                     app):  # fmt: skip
    person = create_user(name=NAME)
    thread = create_annotation("Words that stay.", author=person)
    term, proposal = glossary.create_term(person, "Public value", definition="What we value.")
    db.session.commit()
    assert NAME in client.get(f"/annotations/{thread.id}").get_data(as_text=True)

    delete(person, db, app)

    page = client.get(f"/annotations/{thread.id}").get_data(as_text=True)
    assert "Words that stay." in page
    assert "Former participant" in page and NAME not in page
    answer = client.get(f"/api/v1/annotations/{thread.id}").get_json()
    assert answer["author"] == {"id": person.id, "name": "Former participant"}
    assert answer["body"] == "Words that stay."
    glossary_page = client.get(f"/glossary/{term.slug}").get_data(as_text=True)
    assert proposal is not None and "What we value." in glossary_page
    assert "Former participant" in glossary_page and NAME not in glossary_page


def test_deleting_through_the_account_page_ends_the_session_and_erases_the_profile(
    create_user, logged_in, db
):
    person = create_user(name=NAME, affiliation="Institute of Grids", country="IS")
    client = logged_in(person)
    assert client.get("/account/export.json").get_json()["sessions"]

    response = client.post("/account/delete", data={"delete_password": DEFAULT_PASSWORD})

    assert response.status_code in (302, 303)
    assert client.get("/account/").status_code in (302, 303)  # logged out
    db.session.expire_all()
    assert (person.stored_name, person.affiliation, person.country) == (
        "Former participant", "", None,
    )  # fmt: skip
