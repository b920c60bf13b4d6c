"""File types from content: what each accepted type looks like, and names made safe."""

from __future__ import annotations

import io
import zipfile

import pytest

from seagreen.kit.filetypes import DOCX, JPEG, OFD, PDF, PNG, XLSX, safe_filename, sniff


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", PDF),
        (b"\x89PNG\r\n\x1a\n....", PNG),
        (b"\xff\xd8\xff\xe0....", JPEG),
        (_zip("[Content_Types].xml", "word/document.xml"), DOCX),
        (_zip("[Content_Types].xml", "xl/workbook.xml"), XLSX),
        (_zip("OFD.xml", "Doc_0/Document.xml"), OFD),
        (_zip("readme.txt"), None),
        (_zip("[Content_Types].xml", "ppt/slide1.xml"), None),
        (b"PK\x03\x04 not really a zip", None),
        (b"<!doctype html>", None),
        (b"", None),
    ],
)
def test_sniff_knows_each_accepted_type_and_nothing_else(data, kind):
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\说明.pdf", "说明.pdf"),
        ('a"b<c>.pdf', "abc.pdf"),
        ("   ", "document"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_names_are_made_safe(given, safe):
    assert safe_filename(given) == safe
