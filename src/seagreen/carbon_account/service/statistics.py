"""The carbon account's figures for the programme statistics and partner administration."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from seagreen.carbon_account.lifecycle import day_of_day_number
from seagreen.carbon_account.repository import partners as partner_rows
from seagreen.carbon_account.repository import statistics as repository
from seagreen.carbon_account.service.lifecycle import EXPIRED_ACCOUNT, REVERSED_ACCOUNT
from seagreen.carbon_account.service.points import ISSUING_ACCOUNT
from seagreen.kit.clock import LOCAL_TZ, from_micros


@dataclass(frozen=True)
class Live:
    """Figures read now, cheaply, at any size."""

    residents_registered: int
    residents_with_account: int
    reduction_g: int
    credited_g: int
    points_issued: int
    points_expired: int
    points_reversed: int
    debt_outstanding: int


def live(session: Session) -> Live:
    registered = repository.registered_residents(session)
    with_account, reduction, credited = repository.resident_totals(session)
    accounts = repository.account_totals(session, [ISSUING_ACCOUNT, EXPIRED_ACCOUNT, REVERSED_ACCOUNT])
    debts_recorded, debts_repaid = repository.account_sums_by_prefix(session, "carbon:debt:")
    return Live(
        residents_registered=registered,
        residents_with_account=with_account,
        reduction_g=reduction,
        credited_g=credited,
        points_issued=accounts.get(ISSUING_ACCOUNT, (0, 0))[0],
        points_expired=accounts.get(EXPIRED_ACCOUNT, (0, 0))[1],
        points_reversed=accounts.get(REVERSED_ACCOUNT, (0, 0))[1],
        debt_outstanding=max(0, debts_recorded - debts_repaid),
    )


@dataclass(frozen=True)
class Month:
    month: int  # year * 12 + month - 1
    residents_registered: int
    residents_new: int
    residents_active: int
    reduction_g: int
    credited_g: int
    points_issued: int
    points_expired: int
    points_reversed: int


def _month_of_day(day: int) -> int:
    local = day_of_day_number(day)
    return local.year * 12 + local.month - 1


def _month_start(month: int) -> datetime:
    return datetime.combine(date(month // 12, month % 12 + 1, 1), time(0), tzinfo=LOCAL_TZ)


def monthly(session: Session) -> list[Month]:
    """Every month with any activity: one pass over the month totals and the platform
    accounts' journal rows (the roll-up job's work, seconds at city scale)."""
    credited = repository.credited_by_month(session)
    reduction = repository.reduction_by_month(session)
    flows: dict[str, dict[int, int]] = {}
    for name, key, side in (
        ("issued", ISSUING_ACCOUNT, "debit"),
        ("expired", EXPIRED_ACCOUNT, "credit"),
        ("reversed", REVERSED_ACCOUNT, "credit"),
    ):
        by_month: dict[int, int] = defaultdict(int)
        for day, amount in repository.ledger_by_day(session, key, side=side).items():
            by_month[_month_of_day(day)] += amount
        flows[name] = by_month
    months = sorted(set(credited) | set(reduction) | {m for f in flows.values() for m in f})
    out = []
    previous = repository.registered_residents(session, _month_start(months[0])) if months else 0
    for month in months:
        registered = repository.registered_residents(session, _month_start(month + 1))
        out.append(
            Month(
                month=month,
                residents_registered=registered,
                residents_new=registered - previous,
                residents_active=credited.get(month, (0, 0))[1],
                reduction_g=reduction.get(month, 0),
                credited_g=credited.get(month, (0, 0))[0],
                points_issued=flows["issued"].get(month, 0),
                points_expired=flows["expired"].get(month, 0),
                points_reversed=flows["reversed"].get(month, 0),
            )
        )
        previous = registered
    return out


@dataclass(frozen=True)
class PartnerSummary:
    code: str
    kind: str
    name: str
    consents: int
    ingests: int
    accepted: int
    rejected: int
    last_ingest: datetime | None
    voids: int


def partner_summaries(session: Session) -> list[PartnerSummary]:
    ingests = repository.ingest_summary(session)
    voids = repository.voids_by_partner(session)
    consents = repository.consent_counts(session)
    out = []
    for row in partner_rows.list_partners(session):
        count, accepted, rejected, last = ingests.get(int(row.id), (0, 0, 0, 0))
        out.append(
            PartnerSummary(
                code=row.code,
                kind=row.kind,
                name=row.name,
                consents=consents.get(int(row.id), 0),
                ingests=count,
                accepted=accepted,
                rejected=rejected,
                last_ingest=from_micros(last) if last else None,
                voids=voids.get(int(row.id), 0),
            )
        )
    return out
