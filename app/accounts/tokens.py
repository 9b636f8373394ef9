"""Signed, expiring tokens for the links we e-mail: address confirmation and password reset.

Both are itsdangerous `URLSafeTimedSerializer` tokens signed with the app's secret key,
each with its own salt so that one kind can never be used as the other. A reset token
also carries a fingerprint of the account's current password hash: once the password
changes, through that link or otherwise, every earlier reset link stops working.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import User

CONFIRM_SALT = "confirm-email"
RESET_SALT = "reset-password"


class TokenError(Exception):
    """A link's token is unusable; `expired` tells an old link from a broken one."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(salt: str, token: str, max_age: int) -> Any:
    try:
        return serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError(expired=True) from None
    except BadSignature:
        raise TokenError() from None


def password_fingerprint(user: User) -> str:
    """A short digest of the stored password hash; it changes whenever the password does."""
    return hashlib.sha256((user.password_hash or "").encode("utf-8")).hexdigest()[:16]


def confirmation_token(user: User) -> str:
    """A token proving that whoever holds it received mail at the account's address."""
    return serializer(CONFIRM_SALT).dumps({"user": user.id, "email": user.email})


def user_for_confirmation_token(token: str) -> User:
    """The account a confirmation token names, as long as its address has not changed."""
    data = _load(CONFIRM_SALT, token, current_app.config["EMAIL_TOKEN_MAX_AGE"])
    user = _user(data)
    if user is None or data.get("email") != user.email:
        raise TokenError()
    return user


def reset_token(user: User) -> str:
    """A token allowing one password reset for `user`."""
    return serializer(RESET_SALT).dumps({"user": user.id, "pw": password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """The account a reset token names, while its password is the one it was issued for."""
    data = _load(RESET_SALT, token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = _user(data)
    if user is None or not user.is_active or data.get("pw") != password_fingerprint(user):
        raise TokenError()
    return user


def _user(data: Any) -> User | None:
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    return db.session.get(User, data["user"])
