"""Errors of benefits and redemption."""

from __future__ import annotations

from seagreen.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class BenefitsError(DomainError):
    code = "benefits_error"


class BenefitNotFound(NotFound):
    code = "benefit_not_found"


class BenefitInvalid(InvalidInput):
    """A benefit's terms with problems; ``details['errors']`` lists ``{field, reason}``."""

    code = "benefit_invalid"


class BenefitExists(Conflict):
    code = "benefit_exists"


class BenefitUnavailable(Conflict):
    """The benefit is withdrawn from the mall."""

    code = "benefit_unavailable"


class OutOfStock(Conflict):
    code = "benefit_out_of_stock"


class LimitReached(Conflict):
    """The resident has redeemed this benefit as often as its rule allows in the period."""

    code = "benefit_limit_reached"


class BudgetExhausted(Conflict):
    """A subsidised benefit's budget for this month is used up."""

    code = "benefit_budget_exhausted"


class InsufficientPoints(Conflict):
    code = "benefit_insufficient_points"


class RedemptionConflict(Conflict):
    """The same idempotency key was used for another redemption."""

    code = "redemption_key_conflict"


class RedemptionFailed(DomainError):
    """The voucher could not be issued; the reserved points were released."""

    status = 503
    code = "redemption_failed"


class RedemptionNotFound(NotFound):
    code = "redemption_not_found"


class VoucherInvalid(InvalidInput):
    """Not a voucher code (wrong length or check character): probably mistyped."""

    code = "voucher_invalid"


class VoucherNotFound(NotFound):
    code = "voucher_not_found"


class VoucherAlreadyUsed(Conflict):
    code = "voucher_already_used"


class VoucherExpired(Conflict):
    code = "voucher_expired"


class VoucherNotUsable(Conflict):
    code = "voucher_not_usable"


class NotAProvider(Forbidden):
    code = "benefit_not_a_provider"
