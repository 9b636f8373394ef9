"""The editors' area: the papers with their comment periods, and publishing a new version
(preview, publish, and the threads of the previous version carried forward), from the
editor's page, the API or `flask papers import`."""

# The dashboard's, the report's and the triage list's routes, on the editors' blueprint of
# `views`.
from app.editor import dashboard_views, triage_views  # noqa: F401
