"""Indicator sets (指标体系): the shipped proposal, loading sets, reading them back.

A stored set never changes: loading a file whose code exists with other content is refused.
"""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.domain import IndicatorSet, parse_indicator_set
from seagreen.branches.errors import IndicatorSetConflict, IndicatorSetInvalid, IndicatorSetNotFound
from seagreen.branches.models import IndicatorSetRow
from seagreen.branches.schemas import IndicatorSetRead
from seagreen.kit.clock import utcnow

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data" / "branches"
SHIPPED_MANIFEST = SHIPPED_DIR / "versions.toml"


def shipped_files() -> list[Path]:
    """The set files that come with SeaGreen (``data/branches/versions.toml``)."""
    with SHIPPED_MANIFEST.open("rb") as handle:
        manifest = tomllib.load(handle)
    return [SHIPPED_DIR / entry["file"] for entry in manifest["set"]]


def read_set(data: bytes, subject: str) -> IndicatorSet:
    """Read and check a set file (TOML); refuse it with every problem named."""
    try:
        body = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise IndicatorSetInvalid(f"{subject}: not a UTF-8 TOML file: {exc}") from exc
    found, problems = parse_indicator_set(body)
    if found is None:
        raise IndicatorSetInvalid(
            f"{subject}: {len(problems)} problem(s): " + "; ".join(str(p) for p in problems[:20]),
            errors=[{"where": p.where, "reason": p.reason} for p in problems],
        )
    return found


def store_set(
    session: Session, found: IndicatorSet, *, source_file: str, actor: Actor, now: datetime | None = None
) -> tuple[IndicatorSet, bool]:
    """Store a set unless it is there already; the same code with other content is a conflict."""
    content_hash = found.content_hash()
    stored = repository.indicator_set_row(session, found.code)
    if stored is not None:
        if stored.content_hash != content_hash:
            raise IndicatorSetConflict(
                f"indicator set {found.code} exists with other content; a set never changes, "
                "ship the change under a new code",
                code=found.code,
            )
        return found, False
    moment = now or utcnow()
    repository.add(
        session,
        IndicatorSetRow(
            code=found.code,
            status=found.status.value,
            content_hash=content_hash,
            source_file=source_file[:200],
            body_json=json.dumps(found.canonical(), ensure_ascii=False, sort_keys=True),
            loaded_at=moment,
        ),
    )
    audit.record(
        session,
        actor,
        "branches.indicator_set.load",
        "branch_indicator_set",
        found.code,
        details={
            "status": found.status.value,
            "content_hash": content_hash,
            "source_file": source_file,
            "indicators": len(found.indicators),
            "pass_mark": found.pass_mark,
        },
        now=moment,
    )
    return found, True


def load_file(session: Session, path: Path, *, actor: Actor) -> IndicatorSetRead:
    """``seagreen branches indicators load FILE``: a new set (an official one, once it is read)."""
    found, _ = store_set(session, read_set(path.read_bytes(), path.name), source_file=path.name, actor=actor)
    return IndicatorSetRead.of(found)


def load_shipped(session: Session) -> str:
    """The reference-data loader (``seagreen init``): store the shipped sets not present yet."""
    loaded: list[str] = []
    present: list[str] = []
    for path in shipped_files():
        found, created = store_set(
            session,
            read_set(path.read_bytes(), path.name),
            source_file=path.name,
            actor=Actor.system("seagreen init"),
        )
        (loaded if created else present).append(f"{found.code} ({found.status.value})")
    parts = (["loaded " + ", ".join(loaded)] if loaded else []) + (
        ["already there: " + ", ".join(present)] if present else []
    )
    return "green sub-branch indicator sets: " + "; ".join(parts)


_parsed: dict[str, IndicatorSet] = {}


def _of_row(row: IndicatorSetRow) -> IndicatorSet:
    found = _parsed.get(row.content_hash)
    if found is None:
        parsed, problems = parse_indicator_set(json.loads(row.body_json))
        if parsed is None:  # stored sets were checked when loaded
            raise IndicatorSetInvalid(f"stored indicator set {row.code} is unreadable: {problems[:3]}")
        found = _parsed[row.content_hash] = parsed
    return found


def indicator_set(session: Session, code: str | None = None) -> IndicatorSet:
    """A set by code, or the latest loaded one."""
    row = repository.indicator_set_row(session, code)
    if row is None:
        raise IndicatorSetNotFound(
            f"no indicator set {code!r}" if code else "no indicator set loaded: run 'seagreen init'"
        )
    return _of_row(row)


def indicator_set_by_id(session: Session, set_id: int) -> IndicatorSet:
    row = repository.indicator_set_by_id(session, set_id)
    if row is None:
        raise IndicatorSetNotFound(f"no indicator set #{set_id}")
    return _of_row(row)


def list_sets(session: Session) -> list[IndicatorSetRead]:
    return [IndicatorSetRead.of(_of_row(row)) for row in repository.indicator_set_rows(session)]
