"""Certificates as PDF: a registry's retirement certificate, a green sub-branch's plaque.

Chinese text uses the Adobe-Asian CID font ``STSong-Light``, which every PDF reader supplies, so no
font file ships with the platform or has to be installed on the server. Output is deterministic
(``invariant``): the same certificate gives the same bytes, so a stored hash can vouch for it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"


@lru_cache(maxsize=1)
def _register_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


@dataclass(frozen=True)
class CertificateDocument:
    """What a certificate says: a title, an optional subtitle, labelled fields and footer lines."""

    title: str
    fields: Sequence[tuple[str, str]]
    subtitle: str = ""
    footer: Sequence[str] = field(default_factory=tuple)
    author: str = "SeaGreen 海绿"


def render_certificate(document: CertificateDocument) -> bytes:
    """The certificate as the bytes of a one-page A4 PDF (longer content flows onto more pages)."""
    font = _register_font()
    green = colors.HexColor("#0b6e4f")
    title = ParagraphStyle("title", fontName=font, fontSize=22, leading=30, alignment=1, textColor=green)
    subtitle = ParagraphStyle("subtitle", fontName=font, fontSize=12, leading=18, alignment=1)
    cell = ParagraphStyle("cell", fontName=font, fontSize=11, leading=16, wordWrap="CJK")
    small = ParagraphStyle(
        "small", fontName=font, fontSize=8, leading=11, wordWrap="CJK", textColor=colors.grey
    )

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story: list = [Spacer(1, 12 * mm), para(document.title, title)]
    if document.subtitle:
        story += [Spacer(1, 3 * mm), para(document.subtitle, subtitle)]
    story.append(Spacer(1, 10 * mm))
    rows = [[para(label, cell), para(value, cell)] for label, value in document.fields]
    if rows:
        table = Table(rows, colWidths=[45 * mm, 120 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                    ("TEXTCOLOR", (0, 0), (0, -1), green),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        story.append(table)
    if document.footer:
        story.append(Spacer(1, 12 * mm))
        story += [para(line, small) for line in document.footer]

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=document.title,
        author=document.author,
        creator="SeaGreen",
        invariant=True,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    )
    pdf.build(story)
    return buffer.getvalue()
