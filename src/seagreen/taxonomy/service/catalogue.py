"""Catalogue versions: import and the shipped reconstruction; browse, search, export; identify one text.

Entrypoints own the transaction; these only ``flush()``.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.taxonomy import repository
from seagreen.taxonomy.domain import (
    CATALOGUE_COLUMNS,
    OPTIONAL_COLUMNS,
    Catalogue,
    Engine,
    Identification,
    Item,
    RowError,
    VersionStatus,
    normalise,
    parse_catalogue,
)
from seagreen.taxonomy.errors import (
    CatalogueFileInvalid,
    ItemNotFound,
    TextInvalid,
    VersionConflict,
    VersionNotFound,
)
from seagreen.taxonomy.models import TaxonomyVersionRow
from seagreen.taxonomy.schemas import (
    CatalogueRead,
    VersionRead,
)

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data" / "taxonomy"
SHIPPED_MANIFEST = SHIPPED_DIR / "versions.toml"
EVALUATION_FILE = SHIPPED_DIR / "evaluation" / "labelled.csv"
MAX_ERRORS_IN_MESSAGE = 20
MAX_TEXT = 4000
RECONSTRUCTION_MARK_ZH = "重构稿（非官方）RECONSTRUCTION"


# ---- versions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippedVersion:
    code: str
    name: str
    status: VersionStatus
    file: Path


def shipped_versions() -> list[ShippedVersion]:
    """The versions that come with SeaGreen (``data/taxonomy/versions.toml``)."""
    with SHIPPED_MANIFEST.open("rb") as handle:
        manifest = tomllib.load(handle)
    return [
        ShippedVersion(
            entry["code"], entry["name"], VersionStatus(entry["status"]), SHIPPED_DIR / entry["file"]
        )
        for entry in manifest["version"]
    ]


def csv_rows(text: str) -> Iterator[tuple[int, dict[str, str | None]]]:
    """CSV rows with their line numbers; ``#`` lines before the header are notes."""
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    reader = csv.DictReader(io.StringIO("".join(lines[skipped:])))
    if reader.fieldnames is None:
        return
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    for row in reader:
        yield skipped + reader.line_num, {k: v for k, v in row.items() if isinstance(k, str)}


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _invalid(subject: str, errors: list[RowError]) -> CatalogueFileInvalid:
    shown = "; ".join(str(error) for error in errors[:MAX_ERRORS_IN_MESSAGE])
    more = f" (and {len(errors) - MAX_ERRORS_IN_MESSAGE} more)" if len(errors) > MAX_ERRORS_IN_MESSAGE else ""
    return CatalogueFileInvalid(
        f"{subject}: {len(errors)} problem(s): {shown}{more}",
        errors=[{"row": e.row, "field": e.field, "reason": e.reason} for e in errors],
    )


def read_catalogue(data: bytes, *, code: str, name: str, status: VersionStatus, subject: str) -> Catalogue:
    """Read and check a catalogue CSV; raise with every problem, by row, if it breaks the structure."""
    text = decode_text(data)
    rows = list(csv_rows(text))
    header_problems = []
    if rows:
        present = set(rows[0][1])
        header_problems = [
            RowError(1, column, "missing column")
            for column in CATALOGUE_COLUMNS
            if column not in present and column not in OPTIONAL_COLUMNS
        ]
    if header_problems:
        raise _invalid(subject, header_problems)
    catalogue, errors = parse_catalogue(rows, code=code, name=name, status=status)
    if errors or catalogue is None:
        raise _invalid(subject, errors)
    return catalogue


def _version_read(row: TaxonomyVersionRow, current_id: int | None = None) -> VersionRead:
    return VersionRead(
        code=row.code,
        name=row.name,
        status=row.status,
        reconstruction=row.status == VersionStatus.RECONSTRUCTION.value,
        items=int(row.items),
        content_hash=row.content_hash,
        source_file=row.source_file,
        published_at=from_micros(int(row.published_at_us)),
        current=row.id == current_id,
    )


def list_versions(session: Session) -> list[VersionRead]:
    rows = repository.version_rows(session)
    current = rows[-1].id if rows else None
    return [_version_read(row, current) for row in rows]


def import_catalogue(
    session: Session,
    catalogue: Catalogue,
    *,
    source_file: str,
    actor: Actor,
    now: datetime | None = None,
) -> VersionRead:
    """Store a new version; it becomes the version new identifications use. Versions are kept."""
    repository.lock_importing(session)
    if repository.version_row(session, catalogue.code) is not None:
        raise VersionConflict(
            f"version {catalogue.code!r} exists already; a version never changes", code=catalogue.code
        )
    moment = now or utcnow()
    content_hash = catalogue.content_hash()
    version_id = repository.insert_version(
        session,
        catalogue,
        content_hash=content_hash,
        source_file=source_file,
        published_at_us=to_micros(moment),
    )
    audit.record(
        session,
        actor,
        "taxonomy.version.import",
        "taxonomy_version",
        catalogue.code,
        details={
            "status": catalogue.status.value,
            "items": len(catalogue.items),
            "content_hash": content_hash,
            "source_file": source_file,
        },
        now=moment,
    )
    session.flush()
    row = repository.version_by_id(session, version_id)
    assert row is not None
    return _version_read(row, row.id)


def import_file(
    session: Session, path: Path, *, code: str, name: str | None, status: VersionStatus, actor: Actor
) -> VersionRead:
    """``seagreen taxonomy import FILE``: read, check and store a new catalogue version."""
    catalogue = read_catalogue(
        path.read_bytes(), code=code, name=name or code, status=status, subject=path.name
    )
    return import_catalogue(session, catalogue, source_file=path.name, actor=actor)


def load_shipped(session: Session) -> str:
    """The reference-data loader (``seagreen init``): store the shipped versions not yet present.

    Idempotent; a shipped version already stored must be identical (versions never change).
    """
    loaded, present = [], []
    for entry in shipped_versions():
        catalogue = read_catalogue(
            entry.file.read_bytes(),
            code=entry.code,
            name=entry.name,
            status=entry.status,
            subject=entry.file.name,
        )
        stored = repository.version_row(session, entry.code)
        if stored is not None:
            if stored.content_hash != catalogue.content_hash():
                raise VersionConflict(
                    f"the shipped catalogue {entry.code} differs from the one in the database; "
                    "ship the change as a new version",
                    code=entry.code,
                )
            present.append(entry.code)
            continue
        import_catalogue(session, catalogue, source_file=entry.file.name, actor=Actor.system("seagreen init"))
        loaded.append(f"{entry.code} ({len(catalogue.items)} items, {entry.status.value})")
    parts = (["loaded " + ", ".join(loaded)] if loaded else []) + (
        ["already there: " + ", ".join(present)] if present else []
    )
    return "blue catalogue: " + "; ".join(parts)


# ---- catalogue and engine ---------------------------------------------------------------------

_catalogues: dict[tuple[str, str], Catalogue] = {}
_engines: dict[str, Engine] = {}


def catalogue(session: Session, version: str | None = None) -> Catalogue:
    """A version of the catalogue (default: the latest imported), kept in memory once read."""
    row = repository.version_row(session, version)
    if row is None:
        raise VersionNotFound(
            f"no catalogue version {version!r}" if version else "no catalogue loaded: run 'seagreen init'"
        )
    key = (row.code, row.content_hash)
    found = _catalogues.get(key)
    if found is None:
        found = _catalogues[key] = repository.load_catalogue(session, row)
    return found


def engine_for(catalogue: Catalogue) -> Engine:
    """The identification engine of a version, built once per process."""
    key = catalogue.content_hash()
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = Engine(catalogue)
    return engine


def item(session: Session, code: str, version: str | None = None) -> tuple[Catalogue, Item]:
    found_catalogue = catalogue(session, version)
    found = found_catalogue.item(code)
    if found is None:
        raise ItemNotFound(f"no item {code!r} in catalogue {found_catalogue.code}", code=code)
    return found_catalogue, found


def search(
    session: Session,
    query: str = "",
    *,
    tier: str | None = None,
    industry_code: str | None = None,
    version: str | None = None,
) -> tuple[Catalogue, list[Item]]:
    """Items whose code, Chinese or English names, description or keywords contain every word of
    ``query``; optionally of one tier and with an industry code starting with ``industry_code``."""
    found = catalogue(session, version)
    words = [w for w in normalise(query).split(" ") if w]
    code_prefix = normalise(industry_code or "").upper().lstrip("ABCDEFGHIJKLMNOPQRST")
    results = []
    for candidate in found.items:
        if tier and candidate.tier.value != tier:
            continue
        if code_prefix and not any(
            code.startswith(code_prefix) or code_prefix.startswith(code) for code in candidate.industry_codes
        ):
            continue
        if words:
            haystack = normalise(
                " ".join(
                    (
                        candidate.code,
                        candidate.name_zh,
                        candidate.name_en,
                        candidate.level1.name_zh,
                        candidate.level1.name_en,
                        candidate.level2.name_zh,
                        candidate.level2.name_en,
                        candidate.description_zh,
                        " ".join(candidate.all_keywords),
                    )
                )
            )
            if not all(word in haystack for word in words):
                continue
        results.append(candidate)
    return found, results


def export(session: Session, version: str | None = None) -> dict[str, Any]:
    """``seagreen taxonomy export --json``: the whole version, marked if it is a reconstruction."""
    found = catalogue(session, version)
    return CatalogueRead.of(found).model_dump(mode="json")


def classify_text(
    session: Session, text: str, industry_code: str | None = None, *, version: str | None = None
) -> Identification:
    """Identify one name, description or loan purpose (nothing is stored)."""
    if not text or not text.strip():
        raise TextInvalid("give the text to identify (a name, description or loan purpose)")
    if len(text) > MAX_TEXT:
        raise TextInvalid(f"the text is longer than {MAX_TEXT} characters")
    return engine_for(catalogue(session, version)).classify(text, industry_code)
