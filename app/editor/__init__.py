"""The editors' area: the papers with their comment periods, and publishing a new version
(preview, publish, and the threads of the previous version carried forward), from the
editor's page, the API or `flask papers import`."""

# The triage list registers its routes on the editors' blueprint.
from app.editor import triage_views  # noqa: F401
