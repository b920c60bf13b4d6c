"""The points lifecycle (积分生命周期): partners' voids, reversal and debt, expiry.

Every movement is a ledger transfer with a key derived from its content (so a retry never posts
twice) and a memo naming the rule and inputs behind it:

* ``reversal`` — points taken back after a void (resident → ``carbon:reversed``); the part the
  resident had already spent is recorded as a debt (``carbon:debt:{ref}`` → ``carbon:reversed``);
* ``reissue`` — points earned after a void that the settlement absorbed, given back
  (issuing → resident);
* ``debt_repayment`` — a debt settled from the next points earned (resident → ``carbon:debt:{ref}``);
* ``expiry`` — points older than the expiry period (resident → ``carbon:expired``).

See ``carbon_account/lifecycle.py`` for the rules and docs/decisions/0030 for why.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import SYSTEM, Actor
from seagreen.carbon_account.domain import MAX_EVENT_ID, capped, pack_days, unpack_days
from seagreen.carbon_account.encodings import decode_text
from seagreen.carbon_account.errors import IntakeTooLarge, NotAPartner, PartnerNotFound, VoidFileInvalid
from seagreen.carbon_account.lifecycle import (
    Caps,
    ExpiryRule,
    Removal,
    RemovalResult,
    adjustment,
    day_of_day_number,
    debt_repayment,
    month_of_day_number,
    points_from_versions,
    remove_reductions,
    split_reversal,
    to_expire,
)
from seagreen.carbon_account.repository import lifecycle as repository
from seagreen.carbon_account.repository.intake import lock_intake_session
from seagreen.carbon_account.service import bulk_accounting
from seagreen.carbon_account.service.intake import Catalogue, load_catalogue, partner
from seagreen.carbon_account.service.points import (
    ISSUING_ACCOUNT,
    ISSUING_SPEC,
    resident_account,
    resident_account_spec,
    settle_points,
)
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import Balance, TransferRequest, Unit

EXPIRED_ACCOUNT = "carbon:expired"
REVERSED_ACCOUNT = "carbon:reversed"
MAX_VOIDS = 1_000
ADJUST_CHUNK = 2_000
EXPIRY_CHUNK = 5_000


def debt_account(ref: str) -> str:
    return f"carbon:debt:{ref}"


def _system_accounts() -> list[ledger.AccountSpec]:
    return [
        ISSUING_SPEC,
        ledger.AccountSpec(EXPIRED_ACCOUNT, Unit.POINTS, description="carbon points expired (FIFO)"),
        ledger.AccountSpec(REVERSED_ACCOUNT, Unit.POINTS, description="carbon points reversed after voids"),
    ]


def debt_account_spec(ref: str) -> ledger.AccountSpec:
    return ledger.AccountSpec(debt_account(ref), Unit.POINTS, description="carbon points owed after a void")


def outstanding_debt(balance: Balance | None) -> int:
    """What a debt account says is still owed: debts recorded (debits) less repaid (credits)."""
    return 0 if balance is None else max(0, balance.debits_posted - balance.credits_posted)


# -- adjustments: reversal, reissue, debt repayment ---------------------------------------------


@dataclass
class AdjustOutcome:
    reversed_from_balance: int = 0
    debt_recorded: int = 0
    reissued: int = 0
    repaid: int = 0
    residents: int = 0


def adjust_points(
    session: Session,
    resident_ids: Sequence[int],
    *,
    now: datetime | None = None,
    memo: dict[str, object] | None = None,
) -> AdjustOutcome:
    """Bring residents' posted points in line with what they earn after voids (see the module
    docstring of ``carbon_account/lifecycle.py``), then repay debts from what they hold.

    Serialised with the intake (which owns ``points`` and ``points_posted``)."""
    outcome = AdjustOutcome()
    if not resident_ids:
        return outcome
    moment = now or utcnow()
    now_us = to_micros(moment)
    lock_intake_session(session)
    state = repository.resident_points(session, resident_ids)
    adjustments = repository.lock_adjustments(session, list(state))
    refs = {resident: ref for resident, (ref, _, _) in state.items()}
    keys = [resident_account(ref) for ref in refs.values()] + [debt_account(ref) for ref in refs.values()]
    balances = ledger.balances(session, keys)
    requests: list[TransferRequest] = []
    opened: list[ledger.AccountSpec] = []
    changed: dict[int, tuple[int, int]] = {}
    for resident in sorted(state):
        ref, points, posted = state[resident]
        reversed_points, reissued = adjustments.get(resident, (0, 0))
        wallet = balances.get(resident_account(ref))
        debt = balances.get(debt_account(ref))
        available = wallet.available if wallet else 0
        owed = outstanding_debt(debt)
        repaid_so_far = debt.credits_posted if debt else 0
        delta = adjustment(points, posted, reversed_points, reissued)
        facts = {"points": points, "points_posted": posted, **(memo or {})}
        if delta > 0:
            split = split_reversal(delta, available)
            reversed_points += delta
            base = f"carbon:reversal:{ref}:{reversed_points}"
            rule = "reverse max(0, points_posted - points) net of earlier reversals and reissues"
            if split.from_balance:
                requests.append(
                    TransferRequest(
                        f"{base}:balance",
                        resident_account(ref),
                        REVERSED_ACCOUNT,
                        split.from_balance,
                        "reversal",
                        memo={"rule": rule, **facts},
                    )
                )
                available -= split.from_balance
                outcome.reversed_from_balance += split.from_balance
            if split.as_debt:
                opened.append(debt_account_spec(ref))
                requests.append(
                    TransferRequest(
                        f"{base}:debt",
                        debt_account(ref),
                        REVERSED_ACCOUNT,
                        split.as_debt,
                        "reversal_debt",
                        memo={"rule": rule + "; the part already spent is owed", **facts},
                    )
                )
                owed += split.as_debt
                outcome.debt_recorded += split.as_debt
        elif delta < 0:
            reissued += -delta
            opened.append(resident_account_spec(ref))
            requests.append(
                TransferRequest(
                    f"carbon:reissue:{ref}:{reissued}",
                    ISSUING_ACCOUNT,
                    resident_account(ref),
                    -delta,
                    "reissue",
                    memo={"rule": "points earned after a void up to the points posted before it", **facts},
                )
            )
            available += -delta
            outcome.reissued += -delta
        repay = debt_repayment(available, owed)
        if repay:
            repaid_so_far += repay
            requests.append(
                TransferRequest(
                    f"carbon:repay:{ref}:{repaid_so_far}",
                    resident_account(ref),
                    debt_account(ref),
                    repay,
                    "debt_repayment",
                    memo={"rule": "future earnings settle a debt first", "owed_before": owed},
                )
            )
            outcome.repaid += repay
        if (reversed_points, reissued) != adjustments.get(resident, (0, 0)):
            changed[resident] = (reversed_points, reissued)
    if requests:
        ledger.open_accounts(session, _system_accounts() + opened)
        ledger.post_or_raise(session, requests, now_us=now_us)
    if changed:
        repository.save_adjustments(session, changed, now_us, set(adjustments))
    outcome.residents = len(changed)
    return outcome


def adjust_all(session: Session, *, now: datetime | None = None, chunk: int = ADJUST_CHUNK) -> AdjustOutcome:
    """Run :func:`adjust_points` for every resident the lifecycle ever touched (the job)."""
    total = AdjustOutcome()
    after = 0
    while True:
        ids = repository.residents_to_adjust(session, after, chunk)
        if not ids:
            return total
        done = adjust_points(session, ids, now=now)
        total.reversed_from_balance += done.reversed_from_balance
        total.debt_recorded += done.debt_recorded
        total.reissued += done.reissued
        total.repaid += done.repaid
        total.residents += done.residents
        after = ids[-1]


def _owes(session: Session, resident_id: int) -> bool:
    """Whether the resident has earned points not posted to the wallet yet (the events API's wait
    for the app's next round: docs/decisions/0035)."""
    found = repository.resident_points(session, [resident_id]).get(resident_id)
    return found is not None and found[1] > found[2]


def may_need_adjustment(session: Session, resident_id: int) -> bool:
    """True for residents owed points not posted yet, or whom a void ever touched (for a moment,
    or nearly nobody): only they may have points due."""
    return _owes(session, resident_id) or repository.has_adjustment(session, resident_id)


def adjust_resident(session: Session, resident_id: int, *, now: datetime | None = None) -> bool:
    """Before a resident spends or looks: post the points they are owed, then settle what a void
    left due (a no-op for nearly every resident). True if anything was posted."""
    posted = 0
    if _owes(session, resident_id):
        posted, _ = settle_points(session, load_catalogue(session), resident_ids=[resident_id])
    if not repository.has_adjustment(session, resident_id):
        return bool(posted)
    done = adjust_points(session, [resident_id], now=now)
    return bool(posted or done.reissued or done.repaid or done.reversed_from_balance or done.debt_recorded)


# -- voids --------------------------------------------------------------------------------------


class VoidStatus(StrEnum):
    VOIDED = "voided"
    ALREADY_VOIDED = "already_voided"
    NOT_FOUND = "not_found"
    INVALID = "invalid"


@dataclass(frozen=True)
class VoidItem:
    event_id: str
    reason: str = ""


@dataclass(frozen=True)
class VoidLine:
    index: int
    event_id: str
    status: VoidStatus
    reduction_g: int = 0


@dataclass
class VoidResult:
    request_id: int
    lines: list[VoidLine] = field(default_factory=list)
    reduction_g: int = 0
    credited_g: int = 0
    points_reversed: int = 0
    debt_points: int = 0

    def count(self, status: VoidStatus) -> int:
        return sum(1 for line in self.lines if line.status is status)


def _day_and_month_totals(
    removals: Sequence[Removal[int, int]],
    stored: Mapping[tuple[int, int, int], tuple[int, int, int, str]],
    caps: Mapping[int, Caps],
) -> tuple[dict[tuple[int, int, int], tuple[int, int]], dict[tuple[int, int, int], tuple[int, int]]]:
    """The day and month totals ``remove_reductions`` works on, from the month rows (each day's
    reduction is packed in its month's row; its credit is the reduction under the daily cap)."""
    days: dict[tuple[int, int, int], tuple[int, int]] = {}
    for removal in removals:
        row = stored.get((removal.resident, removal.behaviour, removal.month))
        grams = (unpack_days(row[3])[day_of_day_number(removal.day).day - 1] or 0) if row else 0
        days[(removal.resident, removal.behaviour, removal.day)] = (
            grams,
            capped(grams, caps[removal.behaviour].daily_cap_g),
        )
    months = {key: (row[1], row[2]) for key, row in stored.items()}
    return days, months


def _new_month_rows(
    stored: Mapping[tuple[int, int, int], tuple[int, int, int, str]], removed: RemovalResult[int, int, int]
) -> dict[tuple[int, int, int], tuple[int, int, int, str]]:
    """The month rows after the removal: their days, the month's reduction and both credits."""
    days = {key: unpack_days(row[3]) for key, row in stored.items()}
    reduction = {key: row[0] for key, row in stored.items()}
    for (resident, behaviour, day), (new_reduction, _credited) in removed.days.items():
        local = day_of_day_number(day)
        key = (resident, behaviour, local.year * 12 + local.month - 1)
        before = days[key][local.day - 1] or 0
        days[key][local.day - 1] = new_reduction
        reduction[key] -= before - new_reduction
    return {
        key: (reduction[key], day_credited, credited, pack_days(days[key]))
        for key, (day_credited, credited) in removed.months.items()
    }


def void_events(
    session: Session,
    *,
    partner_code: str,
    items: Sequence[VoidItem],
    actor: Actor,
    source: str = "api",
    file_name: str = "",
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
) -> VoidResult:
    """Void up to 1,000 events the partner reported: their reductions leave the totals exactly as
    if they had never been accounted, the resident's points follow, and posted points that are no
    longer earned are taken back (or owed). Voiding an event again changes nothing."""
    if len(items) > MAX_VOIDS:
        raise IntakeTooLarge(f"at most {MAX_VOIDS} events per request", count=len(items))
    moment = now or utcnow()
    now_us = to_micros(moment)
    try:
        who = partner(session, partner_code)
    except PartnerNotFound as exc:
        raise NotAPartner(f"organisation {partner_code!r} is not a carbon-account partner") from exc
    catalogue = catalogue or load_catalogue(session)
    lock_intake_session(session)
    ids = [item.event_id.strip() for item in items]
    valid = [event_id for event_id in ids if 0 < len(event_id) <= MAX_EVENT_ID]
    # a bulk file's events are accounted a few groups after they are stored: first make sure the
    # totals hold the events about to be taken out of them
    bulk_accounting.account_before_change(
        session, catalogue, sorted(repository.batches_of_events(session, who.id, valid))
    )
    stored = repository.events_for_void(session, who.id, valid)
    already = repository.voided_event_ids(session, who.id, valid)
    request_id = repository.insert_void_request(
        session,
        partner_id=who.id,
        source=source[:8],
        file_name=file_name[:300],
        voided=0,
        already_voided=0,
        not_found=0,
        reduction_g=0,
        credited_g=0,
        points_reversed=0,
        debt_points=0,
        created_at_us=now_us,
    )
    result = VoidResult(request_id)
    seen: set[str] = set()
    voids: list[dict[str, object]] = []
    removals: list[Removal[int, int]] = []
    for index, (item, event_id) in enumerate(zip(items, ids, strict=True)):
        if not 0 < len(event_id) <= MAX_EVENT_ID:
            result.lines.append(VoidLine(index, event_id[:MAX_EVENT_ID], VoidStatus.INVALID))
            continue
        if event_id in already or event_id in seen:
            result.lines.append(VoidLine(index, event_id, VoidStatus.ALREADY_VOIDED))
            continue
        found = stored.get(event_id)
        if found is None:
            result.lines.append(VoidLine(index, event_id, VoidStatus.NOT_FOUND))
            continue
        seen.add(event_id)
        resident, behaviour, day, reduction, accounted = found
        result.lines.append(VoidLine(index, event_id, VoidStatus.VOIDED, reduction if accounted else 0))
        voids.append(
            {
                "partner_id": who.id,
                "event_id": event_id,
                "request_id": request_id,
                "resident_id": resident,
                "behaviour_id": behaviour,
                "day": day,
                "reduction_g": reduction,
                "accounted": accounted,
                "reason": item.reason.strip()[:200],
                "voided_at_us": now_us,
            }
        )
        if accounted and reduction:
            removals.append(Removal(resident, behaviour, day, month_of_day_number(day), reduction))
    affected = sorted({removal.resident for removal in removals})
    if removals:
        rules = repository.behaviour_rules(session, {removal.behaviour for removal in removals})
        caps = {b: Caps(daily, monthly) for b, (daily, monthly, _v) in rules.items()}
        version_of = {b: version for b, (_d, _m, version) in rules.items()}
        rows = repository.month_rows(session, {(r.resident, r.behaviour, r.month) for r in removals})
        days, months = _day_and_month_totals(removals, rows, caps)
        removed = remove_reductions(removals, days, months, caps, version_of)
        repository.write_month_rows(session, _new_month_rows(rows, removed))
        repository.subtract_version_totals(session, removed.credited_removed)
        rates = {version: catalogue.common_multiple // m for version, m in catalogue.multipliers.items()}
        by_version = repository.version_totals(session, affected)
        repository.subtract_resident_totals(
            session,
            [
                (
                    resident,
                    removed.reduction_removed.get(resident, 0),
                    sum(removed.credited_removed.get(resident, {}).values()),
                    points_from_versions(by_version.get(resident, {}), rates),
                )
                for resident in affected
            ],
        )
        result.reduction_g = sum(removed.reduction_removed.values())
        result.credited_g = sum(sum(v.values()) for v in removed.credited_removed.values())
    repository.insert_voids(session, voids)
    adjusted = adjust_points(
        session, affected, now=moment, memo={"void_request": request_id, "partner": who.code}
    )
    result.points_reversed = adjusted.reversed_from_balance + adjusted.debt_recorded
    result.debt_points = adjusted.debt_recorded
    repository.finish_void_request(
        session,
        request_id,
        voided=result.count(VoidStatus.VOIDED),
        already_voided=result.count(VoidStatus.ALREADY_VOIDED),
        not_found=result.count(VoidStatus.NOT_FOUND) + result.count(VoidStatus.INVALID),
        reduction_g=result.reduction_g,
        credited_g=result.credited_g,
        points_reversed=result.points_reversed,
        debt_points=result.debt_points,
    )
    audit.record(
        session,
        actor,
        "carbon_account.events.void",
        "void_request",
        request_id,
        details={
            "partner": who.code,
            "source": source,
            "voided": result.count(VoidStatus.VOIDED),
            "reduction_g": result.reduction_g,
            "points_reversed": result.points_reversed,
            "debt_points": result.debt_points,
        },
    )
    return result


# -- expiry -------------------------------------------------------------------------------------


@dataclass
class ExpiryReport:
    cutoff: datetime | None
    residents: int = 0
    points: int = 0
    adjusted: AdjustOutcome = field(default_factory=AdjustOutcome)
    dry_run: bool = False


def expire_points(
    session: Session,
    *,
    rule: ExpiryRule,
    now: datetime | None = None,
    actor: Actor = SYSTEM,
    dry_run: bool = False,
    chunk: int = EXPIRY_CHUNK,
) -> ExpiryReport:
    """``seagreen points expire``: first settle what voids left due, then expire, first in first
    out, every resident's points earned before the rule's cutoff that are still unspent.

    Idempotent: a second run with the same cutoff finds nothing left to expire."""
    moment = now or utcnow()
    cutoff = rule.cutoff(moment)
    report = ExpiryReport(cutoff, dry_run=dry_run)
    if cutoff is None:
        return report
    if not dry_run:
        report.adjusted = adjust_all(session, now=moment)
    cutoff_us = to_micros(cutoff)
    now_us = to_micros(moment)
    after = 0
    while True:
        candidates = repository.expiry_candidates(session, cutoff_us, after, chunk)
        if not candidates:
            break
        after = candidates[-1][0]
        balances = ledger.balances(session, [resident_account(ref) for _, ref, _ in candidates])
        requests = []
        for _resident, ref, inflow in candidates:
            wallet = balances[resident_account(ref)]
            outflows = wallet.debits_posted + wallet.debits_pending
            amount = to_expire(inflow, outflows, wallet.available)
            if amount <= 0:
                continue
            report.residents += 1
            report.points += amount
            requests.append(
                TransferRequest(
                    f"carbon:expiry:{ref}:{cutoff:%Y-%m}:{outflows + amount}",
                    resident_account(ref),
                    EXPIRED_ACCOUNT,
                    amount,
                    "expiry",
                    memo={
                        "rule": f"FIFO; points expire {rule.months} months after the month earned",
                        "cutoff": cutoff.isoformat(),
                        "earned_before_cutoff": inflow,
                        "outflows_before": outflows,
                    },
                )
            )
        if requests and not dry_run:
            ledger.open_accounts(session, _system_accounts())
            ledger.post_or_raise(session, requests, now_us=now_us)
    if not dry_run:
        repository.insert_expiry_run(
            session,
            cutoff_us=cutoff_us,
            rule_months=rule.months,
            started_at_us=now_us,
            finished_at_us=to_micros(utcnow()),
            residents=report.residents,
            points=report.points,
        )
        if report.points or report.adjusted.residents:
            audit.record(
                session,
                actor,
                "carbon_account.points.expire",
                "expiry_run",
                cutoff.date().isoformat(),
                details={"residents": report.residents, "points": report.points},
            )
    return report


@dataclass(frozen=True)
class Expiring:
    points: int
    at: datetime | None


def expiring(session: Session, ref: str, *, rule: ExpiryRule, now: datetime | None = None) -> Expiring:
    """How many of a resident's points the next expiry will take if they are not spent first."""
    moment = now or utcnow()
    upcoming = rule.next_expiry(moment)
    if upcoming is None:
        return Expiring(0, None)
    when, cutoff = upcoming
    balances = ledger.balances(session, [resident_account(ref)])
    wallet = balances.get(resident_account(ref))
    if wallet is None:
        return Expiring(0, when)
    inflow = repository.inflow_before(session, resident_account(ref), to_micros(cutoff))
    amount = to_expire(inflow, wallet.debits_posted + wallet.debits_pending, wallet.available)
    return Expiring(amount, when)


def last_cutoff(session: Session) -> datetime | None:
    """The cutoff of the last expiry run, if any."""
    row = repository.last_expiry_run(session)
    return None if row is None else from_micros(int(row.cutoff_us))


@dataclass(frozen=True)
class ExpiryRunView:
    cutoff: datetime
    rule_months: int
    started_at: datetime
    residents: int
    points: int


def expiry_runs(session: Session, limit: int = 12) -> list[ExpiryRunView]:
    return [
        ExpiryRunView(
            from_micros(row.cutoff_us),
            int(row.rule_months),
            from_micros(row.started_at_us),
            int(row.residents),
            int(row.points),
        )
        for row in repository.expiry_runs(session, limit)
    ]


# -- a file of event ids to void ------------------------------------------------------------------


def read_void_file(path: Path, *, reason: str = "") -> list[VoidItem]:
    """Event ids to void from a file: CSV with an ``event_id`` column (and optionally ``reason``),
    JSON Lines with the same keys, or plain text with one event id per line. UTF-8 or GB18030."""
    text = decode_text(path.read_bytes())
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    if path.suffix.lower() in (".jsonl", ".ndjson") or lines[0].lstrip().startswith("{"):
        items = []
        for number, line in enumerate(lines, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise VoidFileInvalid(f"line {number}: not JSON ({exc.msg})", line=number) from exc
            items.append(VoidItem(str(record.get("event_id") or ""), str(record.get("reason") or reason)))
        return items
    header = [cell.strip().lstrip("\ufeff") for cell in next(csv.reader([lines[0]]))]
    if "event_id" in header:
        reader = csv.DictReader(io.StringIO("\n".join(lines)), fieldnames=header)
        next(reader)
        return [
            VoidItem((row.get("event_id") or "").strip(), (row.get("reason") or reason).strip())
            for row in reader
        ]
    if len(header) > 1:
        raise VoidFileInvalid("a CSV file needs an event_id column", columns=header)
    return [VoidItem(line.strip(), reason) for line in lines]
