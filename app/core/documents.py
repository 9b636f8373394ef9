"""Word-processor files made from an HTML rendering: `.docx` and `.odt`, by pandoc.

A page that is also sent as a document (the report of answers, the form editors send to
the Commission) renders itself as plain HTML, with every participant's words escaped as
text, and `document` has pandoc turn that into the file. Pandoc runs with `--sandbox`: it
reads and fetches nothing beyond its input, so no word in the HTML can make it open a file
or an address. A word-processor file is XML inside a zip, and XML 1.0 cannot hold some
control characters; `xml_safe` drops them from words first (and `document` from the whole
rendering again), so that no comment can break the file.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pypandoc

# Characters XML 1.0 cannot hold.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMATS = {"docx": "docx", "odt": "odt"}
MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}


def xml_safe(text: str | None) -> str:
    """Words as a word-processor file can hold them: without XML's forbidden characters."""
    return NOT_XML.sub("", text or "")


def document(html: str, fmt: str) -> bytes:
    """An HTML rendering as a `.docx` or `.odt` file (`fmt`, a key of `FORMATS`)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"document.{fmt}"
        pypandoc.convert_text(
            xml_safe(html),
            FORMATS[fmt],
            format="html",
            outputfile=str(target),
            extra_args=["--sandbox"],
        )
        return target.read_bytes()
