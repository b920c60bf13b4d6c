"""Grade schemes (碳信用等级) and the ranking snapshot (排名): load, publish, calibrate, refresh."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import SYSTEM, Actor
from seagreen.carbon_account.errors import GradeSchemeConflict, GradeSchemeInvalid
from seagreen.carbon_account.repository import standing as repository
from seagreen.carbon_account.standing import (
    QUANTILES,
    GradeScheme,
    Quarter,
    SchemeInvalid,
    calibrate,
    parse_scheme,
    quantiles,
    scheme_from_canonical,
    scheme_on,
)
from seagreen.kit.clock import LOCAL_TZ, from_micros, to_micros, utcnow

GRADES_DIR = Path(__file__).resolve().parents[2] / "data" / "grades"
CREDITED_METRIC = "credited_g"


def read_scheme_file(path: Path) -> GradeScheme:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        return parse_scheme(data)
    except tomllib.TOMLDecodeError as exc:
        raise GradeSchemeInvalid(f"{path.name}: not TOML ({exc})", file=path.name) from exc
    except SchemeInvalid as exc:
        raise GradeSchemeInvalid(f"{path.name}: {exc}", errors=exc.problems, file=path.name) from exc


def publish_scheme(session: Session, scheme: GradeScheme, *, source_file: str, actor: Actor) -> bool:
    """Publish a grade scheme; ``False`` if the same scheme is there already. A code or a date
    that is taken by another scheme is a conflict: published schemes never change."""
    existing = repository.grade_scheme_by_code(session, scheme.code)
    if existing is not None:
        if existing.content_hash == scheme.content_hash():
            return False
        raise GradeSchemeConflict(f"grade scheme {scheme.code!r} exists with other content", code=scheme.code)
    if repository.grade_scheme_on_date(session, scheme.effective_from) is not None:
        raise GradeSchemeConflict(
            f"a grade scheme already takes effect on {scheme.effective_from}", date=str(scheme.effective_from)
        )
    repository.insert_grade_scheme(
        session,
        code=scheme.code,
        effective_from=scheme.effective_from,
        body=json.dumps(scheme.canonical(), ensure_ascii=False, sort_keys=True),
        content_hash=scheme.content_hash(),
        source_file=source_file[:200],
        published_at_us=to_micros(utcnow()),
    )
    audit.record(
        session,
        actor,
        "carbon_account.grades.publish",
        "grade_scheme",
        scheme.code,
        details={
            "effective_from": scheme.effective_from.isoformat(),
            "tiers": [t.code for t in scheme.tiers],
        },
    )
    return True


def load_shipped_grades(session: Session) -> str:
    """The reference loader: the schemes shipped in ``data/grades`` (idempotent)."""
    loaded = 0
    for path in sorted(GRADES_DIR.glob("*.toml")):
        loaded += publish_scheme(session, read_scheme_file(path), source_file=path.name, actor=SYSTEM)
    return f"carbon grade schemes: {loaded} loaded, {len(grade_schemes(session))} in the database"


def grade_schemes(session: Session) -> list[GradeScheme]:
    return [scheme_from_canonical(json.loads(row.body)) for row in repository.grade_schemes(session)]


def scheme_in_force(session: Session, day: date) -> GradeScheme | None:
    return scheme_on(grade_schemes(session), day)


@dataclass(frozen=True)
class Calibration:
    quarter: Quarter
    residents: int
    percentiles: dict[int, int]  # percent -> grams
    suggested: list[int]  # thresholds (light, medium, deep) by the shipped rule


CALIBRATION_SHARES = (0.5, 0.85)
LIGHT_GREEN_FLOOR_G = 10_000


def calibration(
    session: Session, quarter: Quarter | None = None, *, now: datetime | None = None
) -> Calibration:
    """The distribution of a quarter's credited grams among residents active in it (default: the
    last complete quarter) and the thresholds the shipped rule would give (data/grades/README.md)."""
    moment = now or utcnow()
    chosen = quarter or Quarter.of(moment.astimezone(LOCAL_TZ).date()).previous()
    values = sorted(repository.quarter_credited_values(session, list(chosen.months)))
    percentiles = {
        p: values[min(len(values) - 1, len(values) * p // 100)] for p in (10, 25, 50, 75, 85, 90, 95)
    }
    suggested = [LIGHT_GREEN_FLOOR_G, *calibrate(values, CALIBRATION_SHARES)] if values else []
    return Calibration(chosen, len(values), percentiles if values else {}, suggested)


# -- ranking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    residents: int
    cuts: tuple[int, ...]
    computed_at: datetime


_CACHE: dict[int, Snapshot] = {}


def refresh_ranking(session: Session, *, now: datetime | None = None) -> Snapshot:
    """Take a new snapshot of the distribution of residents' credited grams (the job, daily)."""
    values = list(repository.credited_values(session))
    cuts = quantiles(values, QUANTILES)
    moment = now or utcnow()
    repository.insert_snapshot(
        session,
        metric=CREDITED_METRIC,
        residents=len(values),
        quantiles=json.dumps(cuts, separators=(",", ":")),
        computed_at_us=to_micros(moment),
    )
    return Snapshot(len(values), tuple(cuts), moment)


def latest_ranking(session: Session) -> Snapshot | None:
    row = repository.latest_snapshot(session, CREDITED_METRIC)
    if row is None:
        return None
    cached = _CACHE.get(int(row.id))
    if cached is None:
        cached = Snapshot(
            int(row.residents), tuple(json.loads(row.quantiles)), from_micros(row.computed_at_us)
        )
        _CACHE.clear()
        _CACHE[int(row.id)] = cached
    return cached
