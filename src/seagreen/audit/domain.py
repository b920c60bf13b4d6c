"""Pure rules of the audit log: who acts (``Actor``), what an event holds, how it is queried.

Every state-changing use case in SeaGreen records one event naming its actor, an action such as
``identity.user.create``, the object it touched and, where a person decided something, the
reason. The log is append-only; nothing here edits history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+\Z")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class ActorKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    CLI = "cli"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who did something: a signed-in user, an API key, someone at the command line, or SeaGreen.

    ``id`` is the user's or key's id (the OS user name for the CLI); ``label`` is what a reviewer
    reads (a display name, a key prefix); ``org_code`` the organisation acted for, if any.
    """

    kind: ActorKind
    id: str
    label: str
    org_code: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ActorKind(self.kind))

    @classmethod
    def cli(cls, os_user: str) -> Actor:
        return cls(ActorKind.CLI, os_user, f"cli:{os_user}")

    @classmethod
    def system(cls, name: str = "seagreen") -> Actor:
        """SeaGreen itself: demo data, scheduled jobs, the login form before anyone is known."""
        return cls(ActorKind.SYSTEM, name, name)


SYSTEM = Actor.system()


def is_valid_action(action: str) -> bool:
    """An action is a dotted lower-case name, module first: ``identity.user.create``."""
    return bool(ACTION_PATTERN.match(action)) and len(action) <= 80


def details_json(details: Mapping[str, Any] | None) -> str:
    """The canonical JSON text of an event's details (sorted keys, Chinese kept readable)."""
    return json.dumps(dict(details or {}), sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class AuditEvent:
    id: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str
    actor_label: str
    org_code: str | None
    action: str
    object_type: str
    object_id: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditQuery:
    """Filters for reading the log; all optional. Results come newest first.

    ``action`` matches a prefix (``identity.`` or ``identity.user.create``); ``actor`` matches an
    actor's id or label exactly; ``before_id`` continues a previous page (keyset pagination).
    """

    action: str | None = None
    actor: str | None = None
    org_code: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        object.__setattr__(self, "limit", max(1, min(self.limit, MAX_PAGE_SIZE)))


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEvent]
    next_before: int | None
