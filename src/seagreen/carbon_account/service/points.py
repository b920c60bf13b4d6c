"""Issuing carbon points (碳积分) through the ledger, and reading residents' balances.

The intake keeps each resident's earned ``points`` and the ``points_posted`` to the ledger; a
settlement posts the difference as one transfer per resident from the platform's issuing account
to the resident's points account. Its key, ``carbon:points:{ref}:{points after}``, is derived
from the content, so a settlement that is retried (after a crash) posts nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy.orm import Session

from seagreen.carbon_account.repository import ingests as repository
from seagreen.carbon_account.repository import intake as sql_intake
from seagreen.carbon_account.service.intake import Catalogue
from seagreen.kit.gc_pause import cycle_collection_paused
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import AccountFlags, Credit, Unit

ISSUING_ACCOUNT = "carbon:points:issuing"
SETTLE_CHUNK = 10_000


ISSUING_SPEC = ledger.AccountSpec(
    ISSUING_ACCOUNT, Unit.POINTS, description="carbon points issued by the platform"
)
_WALLET = (Unit.POINTS, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS, "carbon points")
"""A wallet's unit, flags and description (``resident_account_spec``)."""
_new_tuple = tuple.__new__


def resident_account(ref: str) -> str:
    return f"carbon:points:{ref}"


def resident_account_spec(ref: str) -> ledger.AccountSpec:
    """A resident's points wallet: it cannot pay out more than it received. Built past
    ``AccountSpec``'s Python-level constructor: a bulk file's settlement opens 100k of them."""
    return _new_tuple(ledger.AccountSpec, (resident_account(ref), *_WALLET))


Unsettled = tuple[int, str, int, int, int, int, int]
"""A resident owed points: ``(id, ref, points, points_posted, credited_g, settled_batch_id,
last_batch_id)``, with ``points > points_posted``."""


@cycle_collection_paused()  # tens of thousands of requests, no cycles (kit/gc_pause.py)
def settle_points(
    session: Session,
    catalogue: Catalogue,
    *,
    resident_ids: Sequence[int] | None = None,
    ingest_id: int | None = None,
    limit: int = SETTLE_CHUNK,
) -> tuple[int, int]:
    """Post up to ``limit`` residents' unposted points; return (residents, points) posted.

    Under the intake lock (PostgreSQL; SQLite's write transaction is one), as everything that
    changes residents' totals is: a void between reading what a resident is owed and posting it
    would otherwise reverse nothing for points that are then posted anyway."""
    sql_intake.lock_intake_session(session)
    rows = repository.unsettled(session, resident_ids, limit)
    if not rows:
        return 0, 0
    posted = post_points(session, catalogue, rows, ingest_id=ingest_id)
    repository.mark_settled(
        session, [(resident, points, last) for resident, _, points, _, _, _, last in rows]
    )
    return len(rows), posted


def settle_everyone(session: Session, catalogue: Catalogue) -> tuple[int, int]:
    """Post every resident's owed points, ``SETTLE_CHUNK`` at a time, in the caller's transaction;
    return (residents, points) posted."""
    residents = points = 0
    while True:
        settled, posted = settle_points(session, catalogue)
        residents, points = residents + settled, points + posted
        if settled < SETTLE_CHUNK:
            return residents, points


def post_points(
    session: Session, catalogue: Catalogue, rows: Sequence[Unsettled], *, ingest_id: int | None
) -> int:
    """Post the owed points of ``rows`` to the residents' ledger accounts (opened if new), in the
    caller's transaction, and return how many; recording them as posted is the caller's (a
    bulk accounting writes it with the new totals)."""
    return post_prepared(session, prepare_points(catalogue, rows, ingest_id=ingest_id))


@dataclass(frozen=True)
class PreparedPoints:
    """``post_points``' transfers built (``prepare_points``), not yet posted (``post_prepared``):
    the credits, the accounts they need opened (the issuing account first) and the points."""

    credits: list[Credit]
    accounts: list[ledger.AccountSpec]
    points: int


def prepare_points(
    catalogue: Catalogue, rows: Sequence[Unsettled], *, ingest_id: int | None
) -> PreparedPoints:
    """``post_points``' first half, which touches no session: one credit a resident. A bulk
    accounting builds a part's on its worker thread while the writer posts the part before."""
    # one credit a resident, built past the named tuples' Python-level constructors, its memo
    # written by a template: a bulk file's settlement builds one for each of its 100k residents
    memo = memo_template(catalogue, ingest_id)
    accounts = [ISSUING_SPEC]
    credits = []
    total = 0
    for _, ref, points, posted, credited, settled, last in rows:
        wallet = resident_account_spec(ref)
        accounts.append(wallet)
        account = wallet.key
        credit = (
            f"{account}:{points}",
            account,
            points - posted,
            memo % (settled + 1, last, credited, points, posted),
        )
        credits.append(_new_tuple(Credit, credit))
        total += points - posted
    return PreparedPoints(credits, accounts, total)


def post_prepared(session: Session, prepared: PreparedPoints) -> int:
    """``post_points``' second half, in the caller's transaction: the points posted."""
    if not prepared.credits:
        return 0
    # the accounts not opened yet are opened by the posting, with the points it credits them
    ledger.post_credits(session, ISSUING_ACCOUNT, prepared.credits, code="earn", opening=prepared.accounts)
    return prepared.points


RULE = "points = floor(credited_g / g_per_point)"


def points_memo(
    catalogue: Catalogue,
    ingest_id: int | None,
    *,
    first_batch: int,
    last_batch: int,
    credited_g: int,
    points_before: int,
    points_after: int,
) -> dict[str, object]:
    """A settlement transfer's memo: the rule, the ingest and batches, the credited grams and
    points before and after, the catalogue versions' content hashes."""
    return {
        "rule": RULE,
        "ingest": ingest_id,
        "batches": [first_batch, last_batch],
        "credited_g": credited_g,
        "points_before": points_before,
        "points_after": points_after,
        "versions": sorted(catalogue.hashes),
    }


def memo_template(catalogue: Catalogue, ingest_id: int | None) -> bytes:
    """``points_memo`` as canonical JSON (``ledger.canonical_json_bytes``: keys sorted, no spaces),
    with ``%d`` for the first and last batch, credited grams, points after and points before, in
    that order: formatting five integers into it costs a tenth of building and dumping a dict."""
    fixed = points_memo(
        catalogue, ingest_id, first_batch=0, last_batch=0, credited_g=0, points_before=0, points_after=0
    )

    def part(name: str) -> bytes:
        return orjson.dumps(fixed[name]).replace(b"%", b"%%")

    return (
        b'{"batches":[%d,%d],"credited_g":%d,"ingest":' + part("ingest")
        + b',"points_after":%d,"points_before":%d,"rule":' + part("rule")
        + b',"versions":' + part("versions") + b"}"
    )  # fmt: skip


@dataclass(frozen=True)
class BalanceRead:
    """``seagreen balances --json``: one resident's carbon account."""

    resident_ref: str
    reduction_g: int
    credited_g: int
    points: int


def balances(session: Session, refs: Sequence[str] | None = None) -> list[BalanceRead]:
    return [
        BalanceRead(ref, reduction, credited, points)
        for ref, reduction, credited, points, _posted in repository.balances(session, refs)
    ]


@dataclass(frozen=True)
class Totals:
    residents: int
    reduction_g: int
    credited_g: int
    points: int
    points_posted: int
    events: int


def totals(session: Session) -> Totals:
    residents, reduction, credited, points, posted = repository.totals(session)
    return Totals(residents, reduction, credited, points, posted, repository.event_count(session))
