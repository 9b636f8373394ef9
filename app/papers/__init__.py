"""Papers: sources, import, and the reading pages."""
