"""The request boundary commits every kind of write: rows changed through the ORM and
UPDATE or DELETE statements run through the session, which flush nothing."""

from __future__ import annotations

from sqlalchemy import create_engine, select, update

from app.extensions import db as _db
from app.models import User


def _name_in_the_database(app, user_id: int) -> str:
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            return conn.scalar(select(User.display_name).where(User.id == user_id))
    finally:
        engine.dispose()


def _rename_route(app, status: int):
    def rename(user_id: int):
        _db.session.execute(update(User).where(User.id == user_id).values(display_name="Renamed"))
        return "done", status

    app.add_url_rule(
        f"/test/rename-{status}/<int:user_id>", f"rename_{status}", rename, methods=["POST"]
    )


def test_an_update_statement_alone_is_committed_by_a_successful_request(
    app, client, create_user, db
):
    user = create_user(name="Before")
    db.session.commit()
    _rename_route(app, 200)

    assert client.post(f"/test/rename-200/{user.id}").status_code == 200

    assert _name_in_the_database(app, user.id) == "Renamed"


def test_an_update_statement_in_a_refused_request_is_rolled_back(app, client, create_user, db):
    user = create_user(name="Before")
    db.session.commit()
    _rename_route(app, 422)

    assert client.post(f"/test/rename-422/{user.id}").status_code == 422

    assert _name_in_the_database(app, user.id) == "Before"
