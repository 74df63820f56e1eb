"""Domain errors of the application tracker."""

from __future__ import annotations

from portal.exceptions import PortalError


class ApplicationError(PortalError):
    """An application change the tracker refuses, with a reason a person can act on."""

    status_code = 400
    code = "application_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionNotAllowed(ApplicationError):
    """The move is not in the stage table (wrong order, final stage, other path...)."""

    status_code = 409
    code = "transition_not_allowed"


class GateNotMet(TransitionNotAllowed):
    """The move is in the table, but an eligibility gate (NDA, Certified Provider...) is not met."""

    code = "gate_not_met"
