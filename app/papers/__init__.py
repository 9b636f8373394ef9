"""The paper text: sources and their checks, versions and sections stored, the read-side
queries, which section of one version is which of another, comparing two versions, and
re-anchoring a quote in a later version. It knows nothing of the areas built on it
(the margin, the glossary, the editors' area, the reading pages)."""
