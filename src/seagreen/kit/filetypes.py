"""What a file really is, from its first bytes and (for Office and OFD files) its zip directory,
never from its name alone: an upload named ``report.pdf`` that is an HTML page is refused.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class FileType:
    name: str
    media_type: str
    extensions: tuple[str, ...]


PDF = FileType("pdf", "application/pdf", (".pdf",))
PNG = FileType("png", "image/png", (".png",))
JPEG = FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
OFD = FileType("ofd", "application/ofd", (".ofd",))  # 版式文档 GB/T 33190, common for official papers

ALL_TYPES = (PDF, PNG, JPEG, DOCX, XLSX, OFD)
MAX_ZIP_ENTRIES = 10_000


def _zip_type(data: bytes) -> FileType | None:
    """An Office Open XML or OFD file by its zip directory (nothing is decompressed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return None
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "OFD.xml" in names:
        return OFD
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("word/") for name in names):
        return DOCX
    if any(name.startswith("xl/") for name in names):
        return XLSX
    return None


def sniff(data: bytes) -> FileType | None:
    """The type of ``data`` among the known ones, or ``None``."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    return None


def extension(filename: str) -> str:
    return PurePath(filename).suffix.lower()


def safe_filename(filename: str, limit: int = 120) -> str:
    """The last path part of an uploaded name without control or quoting characters, shortened."""
    name = PurePath(filename.replace("\\", "/")).name
    cleaned = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?;')
    cleaned = cleaned.strip(" .") or "document"
    if len(cleaned) > limit:
        suffix = extension(cleaned)
        cleaned = cleaned[: limit - len(suffix)] + suffix
    return cleaned
