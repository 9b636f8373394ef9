"""Who a request's `Authorization: Bearer <token>` header names.

The API lets a valid token stand in for the session and its CSRF token; a header that
names no active account's token proves nothing, so it exempts nothing.
"""

from __future__ import annotations

from flask import g, request

from app.accounts import services
from app.models import User

_UNSET = object()


def bearer_token(req=None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    req = req or request
    scheme, _sep, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_user(req=None) -> User | None:
    """The active account whose API token the request carries, or None; looked up once
    per request."""
    found = g.get("bearer_user", _UNSET)
    if found is _UNSET:
        token = bearer_token(req)
        found = services.user_for_api_token(token) if token else None
        g.bearer_user = found
    return found


def authenticated_by_token(user) -> bool:
    """Whether `user` (the request's current user) is the account of a valid bearer token
    the request carries: only then may a write go without the session's CSRF token."""
    found = token_user()
    return found is not None and getattr(user, "id", None) == found.id
