"""Errors of the ocean carbon-sink registry."""

from __future__ import annotations

from seagreen.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class RegistryError(DomainError):
    code = "registry_error"


class InputsInvalid(InvalidInput):
    """Methodology inputs refused; ``details['errors']`` lists each problem as ``{field, reason}``."""

    code = "registry_inputs_invalid"


class MethodologyNotFound(NotFound):
    code = "registry_methodology_not_found"


class ParameterSetNotFound(NotFound):
    code = "registry_parameter_set_not_found"


class ParameterSetConflict(Conflict):
    """A shipped parameter set whose content changed under the same code and version."""

    code = "registry_parameter_set_conflict"


class ProjectNotFound(NotFound):
    code = "registry_project_not_found"


class ProjectInvalid(InvalidInput):
    code = "registry_project_invalid"


class NotYourProject(Forbidden):
    code = "registry_not_your_project"


class TransitionRefused(Conflict):
    """An action the project's (or report's) current state does not allow."""

    code = "registry_transition_refused"


class NoticeNotOver(Conflict):
    code = "registry_notice_not_over"


class ObjectionsUnresolved(Conflict):
    code = "registry_objections_unresolved"


class ObjectionNotFound(NotFound):
    code = "registry_objection_not_found"


class DocumentInvalid(InvalidInput):
    code = "registry_document_invalid"


class DocumentNotFound(NotFound):
    code = "registry_document_not_found"


class ReportNotFound(NotFound):
    code = "registry_report_not_found"


class ReportInvalid(InvalidInput):
    code = "registry_report_invalid"


class PeriodOverlaps(Conflict):
    """A monitoring period that overlaps another report of the same project."""

    code = "registry_period_overlaps"


class IssuanceRefused(Conflict):
    code = "registry_issuance_refused"


class HolderInvalid(InvalidInput):
    """An organisation that cannot hold credits, or does not exist."""

    code = "registry_holder_invalid"


class OperationInvalid(InvalidInput):
    code = "registry_operation_invalid"


class InsufficientCredits(Conflict):
    code = "registry_insufficient_credits"


class SerialsNotHeld(Conflict):
    """Serials that are not all active in the sender's holding (someone else's, retired, cancelled…)."""

    code = "registry_serials_not_held"


class OperationConflict(Conflict):
    """An idempotency key used before for a different operation."""

    code = "registry_operation_conflict"


class BufferInsufficient(Conflict):
    code = "registry_buffer_insufficient"


class SerialNotFound(NotFound):
    code = "registry_serial_not_found"


class RetirementNotFound(NotFound):
    code = "registry_retirement_not_found"


class CertificateInvalid(InvalidInput):
    code = "registry_certificate_invalid"


class RegistryInconsistent(RegistryError):
    """The serial blocks and the ledger disagree (``seagreen registry verify``)."""

    status = 500
    code = "registry_inconsistent"
