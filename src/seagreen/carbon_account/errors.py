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


class PartnerNotFound(NotFound):
    code = "carbon_partner_not_found"


class PartnerInvalid(InvalidInput):
    code = "carbon_partner_invalid"


class NotAPartner(DomainError):
    """An API key whose organisation is not registered as a carbon-account partner."""

    status = 403
    code = "carbon_not_a_partner"


class IntakeTooLarge(InvalidInput):
    code = "carbon_intake_too_large"


class ResidentsFileInvalid(InvalidInput):
    code = "carbon_residents_file_invalid"


# -- personal carbon account II: lifecycle and standing ------------------------------------------


class GradeSchemeInvalid(InvalidInput):
    """A grade scheme file with problems; ``details['errors']`` lists each one."""

    code = "carbon_grade_scheme_invalid"


class GradeSchemeConflict(Conflict):
    """A grade scheme code or effective date already taken by another scheme."""

    code = "carbon_grade_scheme_conflict"


class VoidFileInvalid(InvalidInput):
    """A file of event ids to void that cannot be read (format, missing column)."""

    code = "carbon_void_file_invalid"
