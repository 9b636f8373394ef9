"""Moderation: one mechanism for every kind of contribution (pre-moderation, flags,
decisions as compare-and-set on typed states, an append-only log) and the sanctions on
accounts, with the moderators' queue, log and account pages."""
