"""Moderation: the moderators' view of accounts and, later, of contributions."""
