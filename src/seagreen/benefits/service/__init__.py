"""Use cases of benefits, one module per use case:

* ``catalogue`` — the catalogue: create, change, restock, withdraw, list;
* ``redemption`` — reserve, issue, post or release (three short transactions);
* ``vouchers`` — providers check and confirm codes; expiry with or without refund; history;
* ``reporting`` — figures for the programme statistics.
"""

from seagreen.benefits.service.catalogue import (
    BenefitView,
    allowance_used,
    create_benefit,
    ensure_benefit,
    get_benefit,
    list_benefits,
    restock,
    update_benefit,
)
from seagreen.benefits.service.redemption import (
    RedemptionView,
    Transactions,
    VoucherHook,
    issue,
    no_hook,
    provider_account,
    redeem,
    redemption_of,
    release,
    reserve,
    sweep_reservations,
    voucher_key,
)
from seagreen.benefits.service.reporting import BenefitFigures, MonthFigures, by_benefit, monthly
from seagreen.benefits.service.vouchers import (
    History,
    VoucherCheck,
    VoucherExpiry,
    check_voucher,
    confirm_use,
    expire_vouchers,
    history,
    kinds_redeemed,
)

__all__ = [
    "BenefitFigures",
    "BenefitView",
    "History",
    "MonthFigures",
    "RedemptionView",
    "Transactions",
    "VoucherCheck",
    "VoucherExpiry",
    "VoucherHook",
    "allowance_used",
    "by_benefit",
    "check_voucher",
    "confirm_use",
    "create_benefit",
    "ensure_benefit",
    "expire_vouchers",
    "get_benefit",
    "history",
    "issue",
    "kinds_redeemed",
    "list_benefits",
    "monthly",
    "no_hook",
    "provider_account",
    "redeem",
    "redemption_of",
    "release",
    "reserve",
    "restock",
    "sweep_reservations",
    "update_benefit",
    "voucher_key",
]
