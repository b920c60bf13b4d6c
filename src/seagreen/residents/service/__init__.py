"""Use cases of the residents' side: ``login`` (phone and one-time code) and ``portal`` (the
views, the mall, redemption and authorisations, composed from the modules' services)."""

from seagreen.residents.service.login import (
    CodeRequested,
    CodeSender,
    LogSender,
    MemorySender,
    purge_codes,
    reject,
    request_code,
    sender_named,
    verify_code,
)
from seagreen.residents.service.portal import (
    Authorisation,
    Home,
    Mall,
    MallItem,
    achievements_of,
    authorisations,
    home,
    local_time,
    mall,
    mall_item,
    needs_refresh,
    refresh,
    set_authorisation,
)

__all__ = [
    "Authorisation",
    "CodeRequested",
    "CodeSender",
    "Home",
    "LogSender",
    "Mall",
    "MallItem",
    "MemorySender",
    "achievements_of",
    "authorisations",
    "home",
    "local_time",
    "mall",
    "mall_item",
    "needs_refresh",
    "purge_codes",
    "refresh",
    "reject",
    "request_code",
    "sender_named",
    "set_authorisation",
    "verify_code",
]
