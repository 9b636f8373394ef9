"""The JSON API under /api/v1: importing the route modules registers their routes on `bp`."""

from __future__ import annotations

from app.api import annotations, definitions, dispositions, moderation, openapi, papers
from app.api.blueprint import bp

ROUTE_MODULES = (papers, annotations, definitions, dispositions, moderation, openapi)

__all__ = ["ROUTE_MODULES", "bp"]
