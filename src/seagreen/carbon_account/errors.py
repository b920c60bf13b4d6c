"""Errors of the personal carbon account."""

from __future__ import annotations

from seagreen.errors import Conflict, DomainError, InvalidInput, NotFound


class CarbonAccountError(DomainError):
    code = "carbon_account_error"


class CatalogueInvalid(InvalidInput):
    """A catalogue file or version header has problems; ``details['errors']`` lists each one."""

    code = "carbon_catalogue_invalid"


class VersionConflict(Conflict):
    """A version that exists already, or a shipped version whose content changed."""

    code = "carbon_version_conflict"


class NoVersionInForce(NotFound):
    code = "carbon_no_version_in_force"


class IntakeFileInvalid(InvalidInput):
    """A partner file that cannot be read at all (unknown format, missing columns)."""

    code = "carbon_intake_file_invalid"
