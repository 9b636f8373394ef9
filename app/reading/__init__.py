"""The reading pages: the list of papers, one version of a paper section by section, the
comparison of two versions, and the report of what became of each comment.

A package of its own because these pages compose the areas below it: the paper text
(`app.papers`) with the margin's threads (`app.annotations`) and the glossary's marked
terms (`app.definitions`). The papers area itself knows nothing of either.
"""
