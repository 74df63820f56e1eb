"""Domain errors of billing: each names what to do about it."""

from __future__ import annotations

from portal.exceptions import PortalError


class BillingError(PortalError):
    """A billing move the portal refuses; ``field`` names what to fix."""

    status_code = 409
    code = "billing_refused"

    def __init__(self, message: str, *, code: str = "billing_refused", field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class TransitionNotAllowed(BillingError):
    """The statement is not in a state that allows this move."""


class FourEyesError(BillingError):
    """The same person may not finalise and confirm a month."""


class UnexplainedDifferencesError(BillingError):
    """Flagged days lack an explanation: the month cannot be finalised yet."""


class StatementFrozenError(BillingError):
    """A finalised statement is never recomputed: void it with a reason to regenerate."""


class MissingPriceError(BillingError):
    """No unit price covers a billed day."""


class BillingProfileMissingError(BillingError):
    """The brand has no billing profile: nobody to address the bill to."""


class MonthNotEndedError(BillingError):
    """The Taiwan month is not over: its figures can still grow."""


class LineCountsUnsettledError(BillingError):
    """LINE has not given its final count for every JST day that needs one."""


class InvoiceDifferenceError(BillingError):
    """LINE's invoice is missing, or differs from the statement without an explanation."""
