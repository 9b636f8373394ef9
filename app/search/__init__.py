"""Full-text search over the papers' sections, the discussion (threads and replies) and the
glossary (terms and proposed definitions): one search box, one interface, two engines
(SQLite FTS5, PostgreSQL full-text search).

A package of its own, beside the reading pages, because it reads every area: the index
names rows of `app.papers`, `app.annotations` and `app.definitions`, and a search joins
its hits back to those rows and filters them with each area's own visibility rules, so
that what a viewer may see is decided in one place. Importing the package registers the
session hook (`tracking`) that keeps the index in step with every write, in the same
transaction.
"""

from app.search import tracking  # noqa: F401  (registers the flush hook)
