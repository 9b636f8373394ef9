"""Personal answers are never cached; every answer keeps other origins at a distance.

`Cache-Control: no-store` on every GET route of the account, moderation and editor areas
(walked from the URL map, for the role each is for, and anonymously for the log-in,
registration and reset pages), on every API answer to a token's holder, and on any page
shown to someone signed in; public pages for anonymous readers stay cacheable.
`Cross-Origin-Opener-Policy` and `Cross-Origin-Resource-Policy` on every response, errors
and static files included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, Role
from tests.conftest import login
from tests.web.test_api_annotations import auth, root, token_for
from tests.web.test_hosts_and_links import API_GETS, site_with_everything  # noqa: F401

PERSONAL_BLUEPRINTS = ("accounts", "moderation", "editor", "notifications", "admin")

# Each GET route of those areas: who asks, and its arguments (`:x`, the id of the test's x).
# A new route must be added.
PERSONAL_GETS = {
    "accounts.register": ("anonymous", {}),
    "accounts.check_inbox": ("anonymous", {}),
    "accounts.resend_confirmation": ("anonymous", {}),
    "accounts.confirm_email": ("anonymous", {"token": "not-a-real-token"}),
    "accounts.login": ("anonymous", {}),
    "accounts.request_reset": ("anonymous", {}),
    "accounts.reset_password": ("anonymous", {"token": "not-a-real-token"}),
    "accounts.profile": ("participant", {}),
    "accounts.export_data": ("participant", {}),
    "accounts.contributions": ("participant", {}),
    "accounts.logout": ("participant", {}),
    "moderation.index": ("moderator", {}),
    "moderation.item": ("moderator", {"kind": "annotation", "item_id": ":annotation"}),
    "moderation.log": ("moderator", {}),
    "moderation.log_csv": ("moderator", {}),
    "moderation.users": ("moderator", {}),
    "moderation.user": ("moderator", {"user_id": ":participant"}),
    "editor.index": ("editor", {}),
    "editor.comment_period": ("editor", {"slug": "think-paper-1"}),
    "editor.publish": ("editor", {"slug": "think-paper-1"}),
    "editor.dashboard_page": ("editor", {"slug": "think-paper-1", "label": "5.0"}),
    "editor.triage_list": ("editor", {"slug": "think-paper-1", "label": "5.0"}),
    "notifications.index": ("participant", {}),
    "notifications.open_item": ("participant", {"notification_id": ":notification"}),
    "notifications.unsubscribe": ("anonymous", {"token": "not-a-real-token"}),
    "admin.outbox": ("admin", {}),
    "admin.people": ("admin", {}),
    "admin.person": ("admin", {"user_id": ":participant"}),
}


def no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_every_get_route_of_the_personal_areas_is_listed(app):
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in PERSONAL_BLUEPRINTS and "GET" in rule.methods
    }
    assert routes == set(PERSONAL_GETS), "add the new route to PERSONAL_GETS"


@pytest.fixture
def everyone(create_user, create_annotation):
    people = {
        "participant": create_user(),
        "moderator": create_user(Role.MODERATOR),
        "editor": create_user(Role.EDITOR),
        "admin": create_user(Role.ADMIN),
    }
    thread = create_annotation(author=people["participant"])
    # The moderator's reply notifies the participant (`:notification`).
    create_annotation("A reply.", author=people["moderator"], parent=thread)
    return people, thread


def _notification_of(user) -> int | None:
    return db.session.scalar(select(Notification.id).where(Notification.user_id == user.id))


@pytest.mark.parametrize("endpoint", sorted(PERSONAL_GETS))
def test_the_personal_areas_answer_no_store(app, everyone, endpoint):
    people, annotation = everyone
    role, arguments = PERSONAL_GETS[endpoint]
    ids = {
        ":annotation": annotation.id,
        ":participant": people["participant"].id,
        ":notification": _notification_of(people["participant"]),
    }
    values = {name: ids.get(value, value) for name, value in arguments.items()}
    client = app.test_client()
    if role != "anonymous":
        assert login(client, people[role]).status_code in (302, 303)
    with app.test_request_context():
        path = url_for(endpoint, **values)
    response = client.get(path)
    assert response.status_code < 500, path
    if role != "anonymous":  # the page itself, not a way round it
        assert response.status_code in (200, 302, 303), (path, response.status_code)
    assert no_store(response), (path, response.headers.get("Cache-Control"))


@pytest.mark.parametrize(
    "path", ["/account/", "/moderation/", "/editor/", "/admin/mail", "/login", "/account/x"]
)
def test_their_refusals_and_errors_are_not_cached_either(client, path):
    assert no_store(client.get(path))


def test_every_api_answer_to_a_token_holder_is_not_cached(app, client, site_with_everything):  # noqa: F811
    values, token = site_with_everything["values"], site_with_everything["token"]
    for endpoint, (arguments, query) in API_GETS.items():
        with app.test_request_context():
            path = url_for(endpoint, **{k: values[v] for k, v in arguments.items()}, **query)
        response = client.get(path, headers=auth(token))
        response.get_data()  # read to the end, as a client does: some answers are streamed
        assert response.status_code == 200, path
        assert no_store(response), path
    made = client.post("/api/v1/annotations", json=root(), headers=auth(token))
    assert made.status_code == 201
    assert no_store(made)
    refused = client.post("/api/v1/annotations", json={}, headers=auth(token))
    assert refused.status_code == 422
    assert no_store(refused)


def test_pages_shown_to_someone_signed_in_are_not_cached(client, paper, user):
    public = ["/", "/papers/think-paper-1/", "/glossary/", "/api/v1/papers"]
    for path in public:
        response = client.get(path)
        assert response.status_code == 200
        assert not no_store(response), f"{path} is public: caching it is fine"
    login(client, user)
    for path in public:
        assert no_store(client.get(path)), path


def test_a_token_makes_an_api_answer_personal(client, paper, user, db):
    token = token_for(user, db)
    assert not no_store(client.get("/api/v1/papers"))
    assert no_store(client.get("/api/v1/papers", headers=auth(token)))


def a_stylesheet(app) -> str:
    found = sorted(Path(app.static_folder).rglob("*.css"))
    assert found, "no stylesheet to fetch"
    return "/static/" + found[0].relative_to(app.static_folder).as_posix()


def test_static_files_stay_cacheable_even_when_signed_in(app, client, user):
    login(client, user)
    with client.get(a_stylesheet(app)) as response:
        assert response.status_code == 200
        assert not no_store(response)


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/", {}, 200),
        ("/api/v1/papers", {}, 200),
        ("/healthz", {}, 200),
        ("/no-such-page", {}, 404),
        ("/api/v1/no-such-thing", {}, 404),
        ("/api/v1/papers", {"Host": "evil.example"}, 400),
        ("/", {"Host": "evil.example"}, 400),
    ],
)
def test_cross_origin_policies_on_every_response(client, paper, path, headers, status):
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_cross_origin_policies_on_static_files_and_server_errors(app, client):
    @app.route("/boom-for-headers")
    def boom():
        raise RuntimeError("boom")

    for path, status in ((a_stylesheet(app), 200), ("/boom-for-headers", 500)):
        with client.get(path) as response:
            assert response.status_code == status
            assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
            assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
