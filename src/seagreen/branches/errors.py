"""Errors of green sub-branch recognition; each renders as JSON, an HTML message or a CLI line."""

from __future__ import annotations

from seagreen.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class BranchesError(DomainError):
    code = "branches_error"


class IndicatorSetInvalid(InvalidInput):
    """An indicator set file that breaks the structure; ``details['errors']`` names each problem."""

    code = "branches_indicator_set_invalid"


class IndicatorSetConflict(Conflict):
    """A set code that exists with other content (a set never changes; ship a new code)."""

    code = "branches_indicator_set_conflict"


class IndicatorSetNotFound(NotFound):
    code = "branches_indicator_set_not_found"


class RoundNotFound(NotFound):
    code = "branches_round_not_found"


class RoundInvalid(InvalidInput):
    code = "branches_round_invalid"


class RoundConflict(Conflict):
    code = "branches_round_conflict"


class ApplicationNotFound(NotFound):
    """Also what another organisation is told about an application it may not see."""

    code = "branches_application_not_found"


class ApplicationInvalid(InvalidInput):
    """A form with problems; ``details['errors']`` lists ``{field, reason}``."""

    code = "branches_application_invalid"


class ApplicationConflict(Conflict):
    """An application for a branch that has one in progress, or a recognition already."""

    code = "branches_application_conflict"


class TransitionNotAllowed(Conflict):
    """The state machine refuses the action in the current state (``details``: status, action)."""

    code = "branches_transition_not_allowed"


class DeadlinePassed(Conflict):
    code = "branches_deadline_passed"


class NotYourBranch(Forbidden):
    """A bank officer acting for a branch that is not theirs."""

    code = "branches_not_your_branch"


class NotAReviewingAuthority(Forbidden):
    """An authority reviewer whose organisation is not one of the round's reviewing authorities,
    or that is not the lead authority for an annual review."""

    code = "branches_not_a_reviewing_authority"


class ReviewInvalid(InvalidInput):
    code = "branches_review_invalid"


class RecognitionNotFound(NotFound):
    code = "branches_recognition_not_found"


class ReportInvalid(InvalidInput):
    code = "branches_report_invalid"


class ReportConflict(Conflict):
    code = "branches_report_conflict"


class ReportNotFound(NotFound):
    code = "branches_report_not_found"


class DocumentInvalid(InvalidInput):
    """An upload refused: too large, empty, of a type not accepted, or not what its name says."""

    code = "branches_document_invalid"


class DocumentNotFound(NotFound):
    """Also what another organisation is told about a document it may not read."""

    code = "branches_document_not_found"


class DocumentDamaged(BranchesError):
    """The stored bytes no longer match the SHA-256 recorded when they were uploaded."""

    status = 500
    code = "branches_document_damaged"


class CertificateWithdrawn(BranchesError):
    """The plaque was withdrawn (摘牌) or the status revoked: the certificate is no longer valid."""

    status = 410
    code = "branches_certificate_withdrawn"
