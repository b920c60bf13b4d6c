"""Use cases of the personal carbon account, phase 1: the versioned behaviour catalogue.

Entrypoints own the transaction; these functions only ``flush()``.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from seagreen.carbon_account import repository
from seagreen.carbon_account.domain import (
    CATALOGUE_COLUMNS,
    LOCAL_TZ,
    Behaviour,
    Methodology,
    MethodologyVersion,
    RowError,
    check_new_version,
    parse_catalogue,
)
from seagreen.carbon_account.encodings import decode_text
from seagreen.carbon_account.errors import CatalogueInvalid, NoVersionInForce, VersionConflict
from seagreen.carbon_account.schemas import CatalogueRead, VersionRead
from seagreen.kit.clock import from_micros, to_micros, utcnow

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data" / "behaviours"
SHIPPED_MANIFEST = SHIPPED_DIR / "versions.toml"
MAX_ERRORS_IN_MESSAGE = 20


@dataclass(frozen=True)
class ShippedVersion:
    code: str
    name: str
    effective_from: date
    g_per_point: int
    file: Path


def shipped_versions() -> list[ShippedVersion]:
    """The versions that come with SeaGreen (``data/behaviours/versions.toml``)."""
    with SHIPPED_MANIFEST.open("rb") as handle:
        manifest = tomllib.load(handle)
    return [
        ShippedVersion(
            code=entry["code"],
            name=entry["name"],
            effective_from=entry["effective_from"],
            g_per_point=int(entry["g_per_point"]),
            file=SHIPPED_DIR / entry["file"],
        )
        for entry in manifest["version"]
    ]


def _rows(text: str) -> Iterator[tuple[int, dict[str, str | None]]]:
    """CSV rows with the line number where each starts; ``#`` lines before the header are notes."""
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    reader = csv.DictReader(io.StringIO("".join(lines[skipped:])))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [column for column in CATALOGUE_COLUMNS if column not in header and column != "method"]
    if missing:
        raise CatalogueInvalid(
            f"the catalogue file lacks the columns {', '.join(missing)}",
            errors=[str(RowError(skipped + 1, column, "missing column")) for column in missing],
        )
    reader.fieldnames = header
    start = skipped + 2
    for row in reader:
        yield start, {key: value for key, value in row.items() if isinstance(key, str)}
        start = skipped + reader.line_num + 1


def read_catalogue_file(path: Path) -> list[Behaviour]:
    """Read and check a catalogue CSV (UTF-8, UTF-8 with BOM or GB18030); raise with every problem."""
    text = decode_text(path.read_bytes())
    behaviours, errors = parse_catalogue(_rows(text))
    if errors:
        raise _invalid(f"{path.name}", errors)
    return behaviours


def _invalid(subject: str, errors: list[RowError]) -> CatalogueInvalid:
    shown = "; ".join(str(error) for error in errors[:MAX_ERRORS_IN_MESSAGE])
    more = f" (and {len(errors) - MAX_ERRORS_IN_MESSAGE} more)" if len(errors) > MAX_ERRORS_IN_MESSAGE else ""
    return CatalogueInvalid(
        f"{subject}: {len(errors)} problem(s): {shown}{more}",
        errors=[{"row": e.row, "field": e.field, "reason": e.reason} for e in errors],
    )


def methodology(session: Session) -> Methodology:
    """Every published version (immutable, so callers may keep it for a whole ingest)."""
    return Methodology(tuple(version for _row, version in repository.all_versions(session)))


def version_in_force(session: Session, at: datetime) -> MethodologyVersion:
    """The version in force when an event occurred (its Asia/Shanghai date decides)."""
    version = methodology(session).at(at)
    if version is None:
        raise NoVersionInForce(f"no catalogue version was in force on {at.astimezone(LOCAL_TZ).date()}")
    return version


def catalogue_in_force(session: Session, at: datetime | None = None) -> CatalogueRead:
    return CatalogueRead.of(version_in_force(session, at or utcnow()))


def list_versions(session: Session) -> list[VersionRead]:
    return [
        VersionRead(
            code=row.code,
            name=row.name,
            effective_from=row.effective_from,
            g_per_point=int(row.g_per_point),
            behaviours=len(version.behaviours),
            content_hash=row.content_hash,
            source_file=row.source_file,
            published_at=from_micros(int(row.published_at_us)),
        )
        for row, version in repository.all_versions(session)
    ]


def publish_version(
    session: Session,
    behaviours: list[Behaviour],
    *,
    code: str,
    name: str,
    effective_from: date,
    g_per_point: int,
    source_file: str,
    now: datetime | None = None,
    allow_past: bool = False,
) -> VersionRead:
    """Publish a new, immutable catalogue version that takes effect on a future local date.

    Effective dates strictly increase and must lie after today (Asia/Shanghai), except for the
    first version of an empty catalogue, so no event already accounted changes its version.
    ``allow_past`` is for the shipped versions loaded into a catalogue that was empty.
    """
    moment = now or utcnow()
    repository.lock_publishing(session)
    existing = methodology(session)
    today = moment.astimezone(LOCAL_TZ).date()
    errors = check_new_version(
        code, name, effective_from, g_per_point, existing, date.min if allow_past else today
    )
    if errors:
        if any(error.field == "code" and "already published" in error.reason for error in errors):
            raise VersionConflict(f"version {code!r} is already published", code=code)
        raise _invalid(f"version {code}", errors)
    version = MethodologyVersion(
        code=code,
        name=name.strip(),
        effective_from=effective_from,
        g_per_point=g_per_point,
        behaviours={behaviour.code: behaviour for behaviour in behaviours},
    )
    published_at_us = to_micros(moment)
    content_hash = version.content_hash()
    repository.insert_version(
        session, version, content_hash=content_hash, source_file=source_file, published_at_us=published_at_us
    )
    session.flush()
    return VersionRead(
        code=version.code,
        name=version.name,
        effective_from=version.effective_from,
        g_per_point=version.g_per_point,
        behaviours=len(version.behaviours),
        content_hash=content_hash,
        source_file=source_file,
        published_at=from_micros(published_at_us),
    )


def publish_file(
    session: Session,
    path: Path,
    *,
    code: str,
    name: str | None,
    effective_from: date,
    g_per_point: int,
    now: datetime | None = None,
) -> VersionRead:
    """``seagreen behaviours publish FILE``: read, check and publish a catalogue file."""
    behaviours = read_catalogue_file(path)
    return publish_version(
        session,
        behaviours,
        code=code,
        name=name or code,
        effective_from=effective_from,
        g_per_point=g_per_point,
        source_file=path.name,
        now=now,
    )


def load_shipped(session: Session) -> str:
    """The reference-data loader (``seagreen init``): publish the shipped versions.

    Idempotent: a shipped version already present must be identical (versions never change). A
    catalogue where an operator published versions of its own is left alone.
    """
    shipped = shipped_versions()
    existing = methodology(session)
    was_empty = not existing.versions
    shipped_codes = {entry.code for entry in shipped}
    own = [version.code for version in existing.versions if version.code not in shipped_codes]
    loaded: list[str] = []
    present: list[str] = []
    for entry in shipped:
        behaviours = read_catalogue_file(entry.file)
        candidate = MethodologyVersion(
            entry.code, entry.name, entry.effective_from, entry.g_per_point, {b.code: b for b in behaviours}
        )
        stored = existing.by_code(entry.code)
        if stored is not None:
            if stored.content_hash() != candidate.content_hash():
                raise VersionConflict(
                    f"the shipped catalogue {entry.code} differs from the one in the database; "
                    "a published version never changes: ship the change as a new version",
                    code=entry.code,
                )
            present.append(entry.code)
            continue
        if own:
            present.append(f"{entry.code} skipped (the catalogue has its own versions)")
            continue
        publish_version(
            session,
            behaviours,
            code=entry.code,
            name=entry.name,
            effective_from=entry.effective_from,
            g_per_point=entry.g_per_point,
            source_file=entry.file.name,
            allow_past=was_empty,
        )
        loaded.append(f"{entry.code} ({len(behaviours)} behaviours)")
    parts = []
    if loaded:
        parts.append("loaded " + ", ".join(loaded))
    if present:
        parts.append("already there: " + ", ".join(present))
    return "behaviour catalogue: " + "; ".join(parts)
