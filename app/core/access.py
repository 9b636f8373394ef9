"""View guard: log in first, then the permission predicate must hold."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from app.extensions import login_manager


def require(predicate: Callable[[Any], bool]):
    """Anonymous visitors are sent to log in; others get 403 unless `predicate(user)`."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorator
