"""Identity and access errors."""

from __future__ import annotations

from seagreen.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class IdentityError(DomainError):
    code = "identity_error"


class OrgNotFound(NotFound):
    code = "identity_org_not_found"


class UserNotFound(NotFound):
    code = "identity_user_not_found"


class ApiKeyNotFound(NotFound):
    code = "identity_api_key_not_found"


class ResidentNotFound(NotFound):
    code = "identity_resident_not_found"


class OrgExists(Conflict):
    code = "identity_org_exists"


class UserExists(Conflict):
    code = "identity_user_exists"


class ResidentExists(Conflict):
    code = "identity_resident_exists"


class RoleNotAllowed(InvalidInput):
    """A role that the organisation's kind may not hold (an authority cannot be a bank officer)."""

    code = "identity_role_not_allowed"


class InvalidIdentityInput(InvalidInput):
    code = "identity_invalid_input"


class CsrfRejected(Forbidden):
    """A form from a browser session came without the session's CSRF token."""

    code = "identity_csrf_rejected"


class SelfDeactivation(Conflict):
    code = "identity_self_deactivation"
