"""Annotations: threads in the margin on sections, paragraphs and passages."""
