"""The editors' area: the papers with their comment periods, and publishing a new version
(preview, publish, and the threads of the previous version carried forward), from the
editor's page, the API or `flask papers import`."""
