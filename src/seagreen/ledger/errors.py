"""Ledger errors."""

from __future__ import annotations

from seagreen.errors import Conflict, DomainError, InvalidInput, NotFound


class LedgerError(DomainError):
    code = "ledger_error"


class AccountNotFound(NotFound):
    code = "ledger_account_not_found"


class AccountConflict(Conflict):
    code = "ledger_account_conflict"


class TransferRejected(Conflict):
    """A transfer the caller needed was refused; ``details['outcome']`` says why."""

    code = "ledger_transfer_rejected"


class InvalidTransfer(InvalidInput):
    code = "ledger_invalid_transfer"


class BalanceOverflow(Conflict):
    """A write would take an account's total past 2^63 - 1, which its 64-bit column cannot hold."""

    code = "ledger_balance_overflow"
