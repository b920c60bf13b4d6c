"""The registry's accounts in the platform's double-entry ledger (unit ``t_co2e``).

Every movement of serials is also a ledger transfer in the same database transaction, so each
organisation's holding has a running balance in the hash-chained journal, and ``seagreen registry
verify`` can prove the blocks and the ledger agree tonne for tonne::

    issuance     registry:issued            → registry:holdings:<owner>, registry:buffer
    transfer     registry:holdings:<from>   → registry:holdings:<to>
    retirement   registry:holdings:<holder> → registry:retired
    reversal     registry:buffer            → registry:cancelled
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from seagreen.ledger import service as ledger
from seagreen.ledger.domain import AccountFlags, Unit
from seagreen.registry.domain.serials import BlockState

ISSUED = "registry:issued"
BUFFER = "registry:buffer"
RETIRED = "registry:retired"
CANCELLED = "registry:cancelled"
UNIT = Unit.T_CO2E.value
HOLDING_PREFIX = "registry:holdings:"

_FIXED = (
    ledger.AccountSpec(ISSUED, UNIT, AccountFlags.NONE, "ocean carbon-sink credits issued (registry)"),
    ledger.AccountSpec(BUFFER, UNIT, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS, "registry buffer pool"),
    ledger.AccountSpec(RETIRED, UNIT, AccountFlags.NONE, "credits retired (注销)"),
    ledger.AccountSpec(CANCELLED, UNIT, AccountFlags.NONE, "credits cancelled (作废)"),
)


def holding(org_code: str) -> str:
    return f"{HOLDING_PREFIX}{org_code}"


def account_for(state: BlockState, holder: str | None) -> str:
    """The ledger account whose balance counts blocks in ``state`` held by ``holder``."""
    if state is BlockState.ACTIVE:
        assert holder is not None
        return holding(holder)
    return {BlockState.BUFFER: BUFFER, BlockState.RETIRED: RETIRED, BlockState.CANCELLED: CANCELLED}[state]


def open_for(session: Session, orgs: Iterable[str]) -> None:
    """Open the fixed accounts and one holding per organisation (once; a no-op afterwards)."""
    specs = list(_FIXED) + [
        ledger.AccountSpec(
            holding(org), UNIT, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS, f"registry holding of {org}"
        )
        for org in sorted(set(orgs))
    ]
    ledger.open_accounts(session, specs)
