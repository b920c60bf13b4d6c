"""Programme statistics (项目统计): composed from the carbon account's and the benefits' own
figures. Live totals are read on every request (cheap at any size); the monthly series comes from
a roll-up that ``seagreen stats refresh`` and the app's job rebuild."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from seagreen.benefits import service as benefits
from seagreen.carbon_account.service import standing as carbon_standing
from seagreen.carbon_account.service import statistics as carbon_statistics
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.statistics import repository


@dataclass(frozen=True)
class MonthLine:
    month: date
    residents_registered: int
    residents_new: int
    residents_active: int
    reduction_g: int
    credited_g: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    points_reversed: int
    redemptions: int


@dataclass(frozen=True)
class BenefitLine:
    code: str
    name_zh: str
    name_en: str
    provider: str
    price_points: int
    redemptions: int
    points: int
    used: int
    expired: int
    refunded_points: int


@dataclass(frozen=True)
class Statistics:
    live: carbon_statistics.Live
    points_redeemed: int
    redemptions: int
    months: list[MonthLine]
    benefits: list[BenefitLine]
    refreshed_at: datetime | None


@dataclass(frozen=True)
class Rollup:
    rows: list[dict[str, int]]
    computed_at: datetime


def compute_rollup(session: Session, *, now: datetime | None = None) -> Rollup:
    """The monthly figures, read in the caller's (read-only) transaction: passes over the month
    and day totals and the platform accounts' journal rows, seconds to minutes at city scale, so
    the job computes them without holding the write lock."""
    moment = now or utcnow()
    carbon = carbon_statistics.monthly(session)
    redeemed = benefits.monthly(session)
    by_month = {m.month: m for m in carbon}
    rows = []
    for month in sorted({m.month for m in carbon} | set(redeemed)):
        c = by_month.get(month)
        b = redeemed.get(month)
        rows.append(
            {
                "month": month,
                "residents_registered": c.residents_registered if c else 0,
                "residents_new": c.residents_new if c else 0,
                "residents_active": c.residents_active if c else 0,
                "reduction_g": c.reduction_g if c else 0,
                "credited_g": c.credited_g if c else 0,
                "points_issued": c.points_issued if c else 0,
                "points_redeemed": (b.points - b.refunded_points) if b else 0,
                "points_expired": c.points_expired if c else 0,
                "points_reversed": c.points_reversed if c else 0,
                "redemptions": b.redemptions if b else 0,
                "refreshed_at_us": to_micros(moment),
            }
        )
    return Rollup(rows, moment)


def store_rollup(session: Session, rollup: Rollup) -> int:
    """Write a computed roll-up and take the ranking snapshot (a short write transaction)."""
    repository.replace_months(session, rollup.rows)
    carbon_standing.refresh_ranking(session, now=rollup.computed_at)
    return len(rollup.rows)


def refresh(session: Session, *, now: datetime | None = None) -> int:
    """Rebuild the monthly roll-up and the ranking snapshot; return the months written."""
    return store_rollup(session, compute_rollup(session, now=now))


def statistics(session: Session) -> Statistics:
    """What the statistics page shows: a few indexed reads and one pass over residents' totals."""
    rows = repository.months(session)
    figures = benefits.by_benefit(session)
    months = [
        MonthLine(
            month=date(row.month // 12, row.month % 12 + 1, 1),
            residents_registered=int(row.residents_registered),
            residents_new=int(row.residents_new),
            residents_active=int(row.residents_active),
            reduction_g=int(row.reduction_g),
            credited_g=int(row.credited_g),
            points_issued=int(row.points_issued),
            points_redeemed=int(row.points_redeemed),
            points_expired=int(row.points_expired),
            points_reversed=int(row.points_reversed),
            redemptions=int(row.redemptions),
        )
        for row in rows
    ]
    lines = [
        BenefitLine(
            code=f.benefit.code,
            name_zh=f.benefit.name_zh,
            name_en=f.benefit.name_en,
            provider=f.benefit.provider_name_zh,
            price_points=f.benefit.price_points,
            redemptions=f.redemptions,
            points=f.points,
            used=f.used,
            expired=f.expired,
            refunded_points=f.refunded_points,
        )
        for f in figures
    ]
    return Statistics(
        live=carbon_statistics.live(session),
        points_redeemed=sum(line.points - line.refunded_points for line in lines),
        redemptions=sum(line.redemptions for line in lines),
        months=months,
        benefits=lines,
        refreshed_at=from_micros(rows[-1].refreshed_at_us) if rows else None,
    )


MONTH_COLUMNS = (
    "month",
    "residents_registered",
    "residents_new",
    "residents_active",
    "reduction_g",
    "credited_g",
    "points_issued",
    "points_redeemed",
    "points_expired",
    "points_reversed",
    "redemptions",
)
BENEFIT_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "provider",
    "price_points",
    "redemptions",
    "points",
    "used",
    "expired",
    "refunded_points",
)


def _month_values(line: MonthLine) -> list[object]:
    return [line.month.strftime("%Y-%m"), *(getattr(line, name) for name in MONTH_COLUMNS[1:])]


def export_csv(view: Statistics) -> bytes:
    """UTF-8 with a BOM (Excel opens it right): the months, a blank line, the benefits."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MONTH_COLUMNS)
    writer.writerows(_month_values(line) for line in view.months)
    writer.writerow([])
    writer.writerow(BENEFIT_COLUMNS)
    writer.writerows([getattr(line, name) for name in BENEFIT_COLUMNS] for line in view.benefits)
    return ("\ufeff" + buffer.getvalue()).encode()


def export_xlsx(view: Statistics) -> bytes:
    """A workbook with a sheet of months, one of benefits and one of the live totals."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "months"
    sheet.append(list(MONTH_COLUMNS))
    for line in view.months:
        sheet.append(_month_values(line))
    benefit_sheet = book.create_sheet("benefits")
    benefit_sheet.append(list(BENEFIT_COLUMNS))
    for b in view.benefits:
        benefit_sheet.append([getattr(b, name) for name in BENEFIT_COLUMNS])
    totals = book.create_sheet("totals")
    for name, value in (
        *view.live.__dict__.items(),
        ("points_redeemed", view.points_redeemed),
        ("redemptions", view.redemptions),
    ):
        totals.append([name, value])
    for worksheet in book.worksheets:
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
