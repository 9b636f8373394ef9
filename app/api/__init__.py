"""The JSON API under /api/v1: read papers now; annotations, terms and moderation later."""
