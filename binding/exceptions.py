"""Errors of LINE binding; the API renders each with its status code and the field at fault."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from portal.exceptions import PortalError


class BindingError(PortalError):
    status_code = 400
    code = "binding_error"

    def __init__(self, message: Any, *, field: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        if code is not None:
            self.code = code


class BindingNotConfiguredError(BindingError):
    """The brand has no binding page (or no OTP template) configured."""

    status_code = 422
    code = "binding_not_configured"


class TokenInvalidError(BindingError):
    """The token is not one the portal issued for this brand and member."""

    code = "token_invalid"

    def __init__(self, message: Any = None) -> None:
        super().__init__(
            message or _("This bind link is not valid; ask the member to open the latest link."), field="token"
        )


class TokenGoneError(BindingError):
    """The token expired or was already used: the member needs a new link."""

    status_code = 410

    def __init__(self, *, used: bool) -> None:
        message = (
            _("This bind link was already used; a bind link works once.")
            if used
            else _("This bind link has expired; send the member a new one or bind with a one-time password.")
        )
        super().__init__(message, field="token", code="token_used" if used else "token_expired")


class OtpError(BindingError):
    """No valid code, a wrong code, or a code that expired or locked."""

    def __init__(self, message: Any, *, code: str, status_code: int = 400) -> None:
        super().__init__(message, field="otp", code=code)
        self.status_code = status_code


class OtpRateLimitedError(BindingError):
    status_code = 429
    code = "otp_rate_limited"

    def __init__(self, *, retry_after: int, limit: int, minutes: int) -> None:
        super().__init__(
            _("At most %(limit)d codes per %(minutes)d minutes for one member; try again in %(seconds)d seconds.")
            % {"limit": limit, "minutes": minutes, "seconds": retry_after},
            field="external_id",
        )
        self.retry_after = retry_after


class LineUserUnverifiedError(BindingError):
    """Who the LINE user is was not shown: no ID token where one is needed, or LINE refused it."""

    code = "id_token_invalid"

    def __init__(self, message: Any, *, code: str, status_code: int = 400) -> None:
        super().__init__(message, field="id_token", code=code)
        self.status_code = status_code


class LineUserNotFriendError(BindingError):
    """The LINE user has not added the brand's account as a friend, or has blocked it."""

    status_code = 422
    code = "uid_not_friend"

    def __init__(self, message: Any, *, code: str) -> None:
        super().__init__(message, field="uid", code=code)
