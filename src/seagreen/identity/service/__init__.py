"""Use cases of identity and access. Every change records an audit event; nothing commits here.

The demo data flow and other modules call ``ensure_org``, ``ensure_user``, ``ensure_resident``
and ``create_api_key``; the web layer calls ``login``, ``principal_for_session`` and
``principal_for_api_key`` (through ``seagreen.identity.access``).
"""

from __future__ import annotations

from seagreen.identity.service.api_keys import (
    create_api_key,
    list_api_keys,
    principal_for_api_key,
    revoke_api_key,
    touch_api_key,
)
from seagreen.identity.service.orgs import create_org, ensure_org, get_org, list_orgs
from seagreen.identity.service.resident_sessions import open_resident_session, resident_by_phone_hash
from seagreen.identity.service.residents import (
    ensure_resident,
    ensure_resident_ref,
    ensure_resident_refs,
    find_resident,
    get_resident,
    is_valid_resident_ref,
    register_resident,
    resident_ids,
)
from seagreen.identity.service.sessions import login, logout, principal_for_session
from seagreen.identity.service.users import (
    create_user,
    deactivate_user,
    ensure_user,
    get_user,
    list_users,
    set_password,
)

__all__ = [
    "create_api_key",
    "create_org",
    "create_user",
    "deactivate_user",
    "ensure_org",
    "ensure_resident",
    "ensure_resident_ref",
    "ensure_resident_refs",
    "ensure_user",
    "find_resident",
    "get_org",
    "get_resident",
    "get_user",
    "is_valid_resident_ref",
    "list_api_keys",
    "list_orgs",
    "list_users",
    "login",
    "logout",
    "open_resident_session",
    "principal_for_api_key",
    "principal_for_session",
    "register_resident",
    "resident_by_phone_hash",
    "resident_ids",
    "revoke_api_key",
    "set_password",
    "touch_api_key",
]
