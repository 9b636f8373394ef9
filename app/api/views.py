"""The JSON API under /api/v1: importing the route modules registers their routes on `bp`,
and importing `idempotency` its hooks for the `Idempotency-Key` of every POST (after the
blueprint's own, which authenticate first)."""

from __future__ import annotations

from app.api import (
    annotations,
    campaigns,
    definitions,
    dispositions,
    exports,
    idempotency,
    moderation,
    openapi,
    papers,
    search,
    webannotation,
)
from app.api.blueprint import bp

ROUTE_MODULES = (
    papers,
    annotations,
    campaigns,
    definitions,
    dispositions,
    exports,
    moderation,
    openapi,
    search,
    webannotation,
)

__all__ = ["ROUTE_MODULES", "bp", "idempotency"]
