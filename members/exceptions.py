"""Errors the members services raise; the API renders them with their status code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.exceptions import PortalError


class MemberError(PortalError):
    status_code = 400
    code = "member_error"
    field = ""


class MemberErasedError(MemberError):
    """The member asked to be erased; the brand may not recreate the record under that number."""

    status_code = 409
    code = "member_erased"
    field = "external_id"

    def __init__(self, external_id: str) -> None:
        super().__init__(
            _("Member %(id)s was erased at their request; the record cannot be recreated.") % {"id": external_id}
        )


class LineUidTakenError(MemberError):
    status_code = 409
    code = "line_uid_taken"
    field = "uid"

    def __init__(self) -> None:
        super().__init__(_("This LINE user id is already bound to another member of this brand."))


class BindingConsentError(MemberError):
    status_code = 400
    code = "binding_consent_required"
    field = "consent"

    def __init__(self) -> None:
        super().__init__(_("Binding needs the member's granted 'line_binding' consent record."))
