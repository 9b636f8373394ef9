"""The glossary: terms, proposed definitions, votes, adoption, and marking terms in the text."""
