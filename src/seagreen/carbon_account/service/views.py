"""A resident's own views of their carbon account (个人碳账户信息查询), read in real time:

1. behaviour records by data source (行为明细), 2. reductions per behaviour and over time (减排量),
3. points balance and flows (积分), 5. percentile rank (排名), 6. carbon grade (碳信用等级);
view 4 (benefits and vouchers) belongs to ``seagreen.benefits``. Each is read by the resident's id
through primary keys and indexes, so it costs the same for any number of residents.

Records are kept per resident, behaviour and local day (the accounting's own grain); the data
source of a record is the partner(s) the resident had authorised that day whose kind may report
the behaviour (docs/decisions/0033).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from seagreen.carbon_account.domain import LOCAL_TZ, day_number
from seagreen.carbon_account.lifecycle import ExpiryRule, day_of_day_number
from seagreen.carbon_account.repository import lifecycle as lifecycle_rows
from seagreen.carbon_account.repository import views as repository
from seagreen.carbon_account.service.lifecycle import Expiring, debt_account, expiring, outstanding_debt
from seagreen.carbon_account.service.points import resident_account
from seagreen.carbon_account.service.standing import latest_ranking, scheme_in_force
from seagreen.carbon_account.standing import GradeScheme, GradeTier, Quarter, percentile_beaten
from seagreen.identity.errors import ResidentNotFound
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.ledger import service as ledger


@dataclass(frozen=True)
class BehaviourInfo:
    code: str
    name_zh: str
    name_en: str
    dimension: str
    unit: str
    partner_kinds: frozenset[str]


def behaviour_index(session: Session) -> dict[int, BehaviourInfo]:
    return {
        row[0]: BehaviourInfo(row[1], row[2], row[3], row[4], row[5], frozenset(row[6].split()))
        for row in repository.behaviours(session)
    }


def _today(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


# -- points position ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PointsPosition:
    balance: int  # posted points held
    available: int  # what can be spent now (balance less points reserved by a pending redemption)
    reserved: int
    debt: int  # owed after a void, settled by the next points earned
    unsettled: int  # earned and about to be posted by the settlement
    expiring: Expiring


def points_position(
    session: Session, ref: str, *, rule: ExpiryRule, now: datetime | None = None, unsettled: int = 0
) -> PointsPosition:
    moment = now or utcnow()
    balances = ledger.balances(session, [resident_account(ref), debt_account(ref)])
    wallet = balances.get(resident_account(ref))
    debt = outstanding_debt(balances.get(debt_account(ref)))
    soon = expiring(session, ref, rule=rule, now=moment)
    if wallet is None:
        return PointsPosition(0, 0, 0, debt, unsettled, soon)
    return PointsPosition(
        balance=wallet.net_credit,
        available=max(0, wallet.available - debt),
        reserved=wallet.debits_pending,
        debt=debt,
        unsettled=unsettled,
        expiring=soon,
    )


# -- summary -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeView:
    scheme: GradeScheme
    quarter: Quarter
    credited_g: int
    tier: GradeTier | None
    next_tier: GradeTier | None


@dataclass(frozen=True)
class RankView:
    credited_g: int
    percentile: int | None  # "more than X % of residents"; None when not ranked
    population: int
    computed_at: datetime | None


@dataclass(frozen=True)
class AccountSummary:
    ref: str
    reduction_g: int
    credited_g: int
    points_earned: int
    points: PointsPosition
    month_credited_g: int
    quarter: Quarter
    quarter_credited_g: int
    grade: GradeView | None
    rank: RankView


def _quarter_sums(session: Session, resident_id: int, quarters: list[Quarter]) -> dict[int, int]:
    months = sorted({m for q in quarters for m in q.months})
    sums: dict[int, int] = defaultdict(int)
    for month, _behaviour, credited in repository.month_rows(session, resident_id, months):
        sums[month] += credited
    return sums


def _grade(scheme: GradeScheme | None, quarter: Quarter, credited: int) -> GradeView | None:
    if scheme is None:
        return None
    return GradeView(scheme, quarter, credited, scheme.grade(credited), scheme.next_tier(credited))


def rank(session: Session, credited_g: int) -> RankView:
    snapshot = latest_ranking(session)
    if snapshot is None:
        return RankView(credited_g, None, 0, None)
    return RankView(
        credited_g,
        percentile_beaten(snapshot.cuts, credited_g, snapshot.residents),
        snapshot.residents,
        snapshot.computed_at,
    )


def summary(
    session: Session, resident_id: int, *, rule: ExpiryRule, now: datetime | None = None
) -> AccountSummary:
    """The resident's account at a glance (the summary API): a handful of indexed reads."""
    moment = now or utcnow()
    ref = repository.resident_ref(session, resident_id) or ""
    totals = repository.resident_total(session, resident_id) or (0, 0, 0, 0)
    today = _today(moment)
    current = Quarter.of(today)
    graded = current.previous()
    sums = _quarter_sums(session, resident_id, [current, graded])
    this_month = today.year * 12 + today.month - 1
    position = points_position(session, ref, rule=rule, now=moment, unsettled=max(0, totals[2] - totals[3]))
    return AccountSummary(
        ref=ref,
        reduction_g=totals[0],
        credited_g=totals[1],
        points_earned=totals[2],
        points=position,
        month_credited_g=sums.get(this_month, 0),
        quarter=current,
        quarter_credited_g=sum(sums.get(m, 0) for m in current.months),
        grade=_grade(
            scheme_in_force(session, graded.last_day), graded, sum(sums.get(m, 0) for m in graded.months)
        ),
        rank=rank(session, totals[1]),
    )


# -- 1. behaviour records by data source ----------------------------------------------------------


@dataclass(frozen=True)
class Source:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class RecordLine:
    day: date
    behaviour: BehaviourInfo
    reduction_g: int
    credited_g: int
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class SourceTotal:
    """Records whose data source is this set of partners: one partner in the usual case; two when
    the resident authorised two partners that may both report the behaviour (a bus fare paid by
    QR code: the bus company and the clearing network); none when consent was revoked since."""

    sources: tuple[Source, ...]
    days: int
    reduction_g: int


@dataclass(frozen=True)
class VoidedLine:
    partner: str
    event_id: str
    behaviour: BehaviourInfo | None
    reduction_g: int
    reason: str
    voided_at: datetime


@dataclass(frozen=True)
class Records:
    lines: list[RecordLine]
    sources: list[SourceTotal]
    voided: list[VoidedLine]
    next_before: int | None  # the day number to continue from (older records)


@dataclass(frozen=True)
class _Consent:
    source: Source
    granted_us: int
    revoked_us: int | None


def _consents(session: Session, resident_id: int) -> list[_Consent]:
    return [
        _Consent(Source(code, name, kind), granted, revoked)
        for _pid, code, kind, name, granted, revoked in repository.consents(session, resident_id)
    ]


def _day_bounds(day: int) -> tuple[int, int]:
    start = datetime.combine(day_of_day_number(day), datetime.min.time(), tzinfo=LOCAL_TZ)
    return to_micros(start), to_micros(start) + 86_400_000_000


def _sources(behaviour: BehaviourInfo, day: int, consents: list[_Consent]) -> tuple[Source, ...]:
    start, end = _day_bounds(day)
    found: dict[str, Source] = {}
    for consent in consents:
        if consent.source.kind not in behaviour.partner_kinds:
            continue
        if consent.granted_us < end and (consent.revoked_us is None or consent.revoked_us > start):
            found[consent.source.code] = consent.source
    return tuple(found[code] for code in sorted(found))


def records(
    session: Session,
    resident_id: int,
    *,
    before_day: date | None = None,
    limit: int = 60,
    source: str | None = None,
) -> Records:
    infos = behaviour_index(session)
    consents = _consents(session, resident_id)
    before = None if before_day is None else day_number(before_day)
    rows = repository.day_rows(session, resident_id, before, limit + 1)
    more = len(rows) > limit
    lines = []
    for day, behaviour_id, reduction, credited in rows[:limit]:
        info = infos[behaviour_id]
        sources = _sources(info, day, consents)
        if source is not None and source not in {s.code for s in sources}:
            continue
        lines.append(RecordLine(day_of_day_number(day), info, reduction, credited, sources))
    totals: dict[tuple[Source, ...], list[int]] = {}
    for day, behaviour_id, reduction in repository.day_sums(session, resident_id):
        bucket = totals.setdefault(_sources(infos[behaviour_id], day, consents), [0, 0])
        bucket[0] += 1
        bucket[1] += reduction
    source_totals = sorted(
        (SourceTotal(sources, days, grams) for sources, (days, grams) in totals.items()),
        key=lambda total: -total.reduction_g,
    )
    voids = lifecycle_rows.voids_of_resident(session, resident_id, 20)
    partners = repository.partners_by_id(session, [partner for partner, *_ in voids])
    voided = [
        VoidedLine(
            partners.get(partner, ("", str(partner)))[1],
            event_id,
            infos.get(behaviour),
            reduction,
            reason,
            from_micros(at),
        )
        for partner, event_id, behaviour, reduction, reason, at in voids
    ]
    next_before = rows[limit - 1][0] if more and rows else None
    return Records(lines, source_totals, voided, next_before)


# -- 2. reductions per behaviour and over time ---------------------------------------------------


@dataclass(frozen=True)
class BehaviourReduction:
    behaviour: BehaviourInfo
    reduction_g: int
    credited_g: int


@dataclass(frozen=True)
class MonthReduction:
    month: date
    reduction_g: int
    credited_g: int
    cumulative_credited_g: int


@dataclass(frozen=True)
class DimensionReduction:
    dimension: str
    credited_g: int


@dataclass(frozen=True)
class Reductions:
    reduction_g: int
    credited_g: int
    behaviours: list[BehaviourReduction]
    months: list[MonthReduction]
    dimensions: list[DimensionReduction]


def _month_date(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def reductions(session: Session, resident_id: int) -> Reductions:
    infos = behaviour_index(session)
    reduction_by_code: dict[str, int] = defaultdict(int)
    credited_by_code: dict[str, int] = defaultdict(int)
    reduction_by_month: dict[int, int] = defaultdict(int)
    credited_by_month: dict[int, int] = defaultdict(int)
    info_by_code: dict[str, BehaviourInfo] = {}
    for day, behaviour_id, reduction in repository.day_sums(session, resident_id):
        info = infos[behaviour_id]
        info_by_code[info.code] = info
        reduction_by_code[info.code] += reduction
        day_date = day_of_day_number(day)
        reduction_by_month[day_date.year * 12 + day_date.month - 1] += reduction
    for month, behaviour_id, credited in repository.month_rows(session, resident_id):
        info = infos[behaviour_id]
        info_by_code[info.code] = info
        credited_by_code[info.code] += credited
        credited_by_month[month] += credited
    behaviours = sorted(
        (
            BehaviourReduction(
                info_by_code[code], reduction_by_code.get(code, 0), credited_by_code.get(code, 0)
            )
            for code in info_by_code
        ),
        key=lambda b: (-b.credited_g, -b.reduction_g, b.behaviour.code),
    )
    months: list[MonthReduction] = []
    running = 0
    for month in sorted(set(reduction_by_month) | set(credited_by_month)):
        running += credited_by_month.get(month, 0)
        months.append(
            MonthReduction(
                _month_date(month), reduction_by_month.get(month, 0), credited_by_month.get(month, 0), running
            )
        )
    dimensions: dict[str, int] = defaultdict(int)
    for item in behaviours:
        dimensions[item.behaviour.dimension] += item.credited_g
    return Reductions(
        reduction_g=sum(reduction_by_code.values()),
        credited_g=sum(credited_by_code.values()),
        behaviours=behaviours,
        months=months,
        dimensions=sorted(
            (DimensionReduction(d, g) for d, g in dimensions.items()), key=lambda d: -d.credited_g
        ),
    )


# -- 3. points balance and flows ----------------------------------------------------------------

FLOW_OF_CODE = {
    "earn": "earned",
    "reissue": "earned",
    "refund": "refunded",
    "redeem": "redeemed",
    "expiry": "expired",
    "reversal": "reversed",
    "debt_repayment": "reversed",
}
FLOW_KINDS = ("earned", "redeemed", "refunded", "expired", "reversed")


@dataclass(frozen=True)
class Movement:
    at: datetime
    code: str
    kind: str
    points: int  # positive in, negative out


@dataclass(frozen=True)
class FlowMonth:
    month: date
    flows: dict[str, int]


@dataclass(frozen=True)
class PointsView:
    position: PointsPosition
    earned_total: int  # points the accounting says the resident earned
    flows: dict[str, int]
    months: list[FlowMonth]
    movements: list[Movement]
    debt_recorded: int


def points(
    session: Session, resident_id: int, *, rule: ExpiryRule, now: datetime | None = None, history: int = 2_000
) -> PointsView:
    moment = now or utcnow()
    ref = repository.resident_ref(session, resident_id) or ""
    totals = repository.resident_total(session, resident_id) or (0, 0, 0, 0)
    position = points_position(session, ref, rule=rule, now=moment, unsettled=max(0, totals[2] - totals[3]))
    flows = dict.fromkeys(FLOW_KINDS, 0)
    months: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FLOW_KINDS, 0))
    movements: list[Movement] = []
    wallet = repository.account_id(session, resident_account(ref))
    moves: list[tuple[int, str, int]] = []
    if wallet is not None:
        moves = [(at, code, amount) for at, code, amount in repository.inflows(session, wallet, history)]
        moves += [(at, code, -amount) for at, code, amount in repository.outflows(session, wallet, history)]
    debt_recorded = 0
    debt = repository.account_id(session, debt_account(ref))
    if debt is not None:
        for at, code, amount in repository.outflows(session, debt, history):
            debt_recorded += amount
            moves.append((at, code, -amount))
    for at, code, signed in sorted(moves, key=lambda m: m[0], reverse=True):
        kind = FLOW_OF_CODE.get(code, "reversed" if code == "reversal_debt" else "other")
        amount = abs(signed)
        if code != "debt_repayment":  # repaying a debt moves points already counted as reversed
            flows[kind] = flows.get(kind, 0) + amount
            local = from_micros(at).astimezone(LOCAL_TZ).date()
            months[local.year * 12 + local.month - 1][kind] = (
                months[local.year * 12 + local.month - 1].get(kind, 0) + amount
            )
        if code != "reversal_debt":
            movements.append(Movement(from_micros(at), code, kind, signed))
    return PointsView(
        position=position,
        earned_total=totals[2],
        flows=flows,
        months=[FlowMonth(_month_date(m), months[m]) for m in sorted(months)],
        movements=movements[:50],
        debt_recorded=debt_recorded,
    )


# -- 5. ranking and 6. grade ----------------------------------------------------------------------


@dataclass(frozen=True)
class GradeHistory:
    current: GradeView | None  # the last complete quarter: the grade in force
    to_date: GradeView | None  # the quarter so far (provisional)
    quarters: list[GradeView] = field(default_factory=list)  # the last four complete quarters


def grade(session: Session, resident_id: int, *, now: datetime | None = None) -> GradeHistory:
    moment = now or utcnow()
    current = Quarter.of(_today(moment))
    past = [current.previous()]
    for _ in range(3):
        past.append(past[-1].previous())
    sums = _quarter_sums(session, resident_id, [current, *past])
    views = [
        view
        for quarter in past
        if (
            view := _grade(
                scheme_in_force(session, quarter.last_day),
                quarter,
                sum(sums.get(m, 0) for m in quarter.months),
            )
        )
        is not None
    ]
    to_date = _grade(
        scheme_in_force(session, _today(moment)), current, sum(sums.get(m, 0) for m in current.months)
    )
    return GradeHistory(views[0] if views else None, to_date, views)


def account_ref(session: Session, resident_id: int) -> str:
    """The resident's public ref, which names their points account."""
    ref = repository.resident_ref(session, resident_id)
    if ref is None:
        raise ResidentNotFound(f"no resident {resident_id}", resident_id=resident_id)
    return ref


@dataclass(frozen=True)
class ConsentView:
    partner_code: str
    partner_name: str
    kind: str
    granted_at: datetime
    revoked_at: datetime | None


def consents_of(session: Session, resident_id: int) -> list[ConsentView]:
    """The resident's authorisations of partners, newest first (revoked ones included)."""
    return [
        ConsentView(code, name, kind, from_micros(granted), None if revoked is None else from_micros(revoked))
        for _pid, code, kind, name, granted, revoked in repository.consents(session, resident_id)
    ]
