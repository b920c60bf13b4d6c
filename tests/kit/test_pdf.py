"""Certificates render as deterministic PDFs that carry their Chinese text."""

from __future__ import annotations

from seagreen.kit.pdf import CertificateDocument, render_certificate


def _doc(name: str) -> CertificateDocument:
    return CertificateDocument(
        title="绿色支行认定证书",
        subtitle="Green sub-branch",
        fields=[("支行 Branch", name), ("编号 No.", "WH-GSB-2026-001 <&>")],
        footer=["可在平台核验 Verify on the platform"],
    )


def test_renders_a_pdf_with_the_cjk_font():
    pdf = render_certificate(_doc("威海市商业银行 环翠支行"))
    assert pdf.startswith(b"%PDF-")
    assert b"STSong-Light" in pdf


def test_same_certificate_same_bytes_and_different_content_different_bytes():
    assert render_certificate(_doc("甲支行")) == render_certificate(_doc("甲支行"))
    assert render_certificate(_doc("甲支行")) != render_certificate(_doc("乙支行"))
