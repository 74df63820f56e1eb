"""Domain errors of template review and send-time checks."""

from __future__ import annotations

from portal.exceptions import PortalError


class ComplianceError(PortalError):
    """Base class for compliance refusals; ``code`` is stable, ``field`` names what to fix."""

    status_code = 422
    code = "compliance_error"

    def __init__(self, message: str, *, code: str | None = None, field: str = "") -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.field = field


class TransitionNotAllowed(ComplianceError):
    """A template version may not make this status move (or not by this person)."""

    status_code = 409
    code = "transition_not_allowed"


class VersionLocked(ComplianceError):
    """The content of a version that left the draft state cannot change."""

    status_code = 409
    code = "version_locked"


class TemplateNotSendable(ComplianceError):
    """The template is unknown, or has no approved, unsuspended version to send."""

    code = "template_not_sendable"

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code, field="template")


class SendRuleViolation(ComplianceError):
    """A send was refused by a guideline rule (a variable value, or a timing rule)."""

    code = "send_rule_violation"

    def __init__(self, message: str, *, rule_code: str, field: str) -> None:
        super().__init__(message, code=rule_code, field=field)
        self.rule_code = rule_code
