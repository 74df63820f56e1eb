"""The OpenAPI schema documents every error answer an operation can give, in the API's one error shape.

drf-spectacular documents only the success answer of an operation unless told more; a
client generated from such a schema does not expect the 400, 401 or 429 every operation
can give. :class:`PortalAutoSchema` adds them all, each with the ``Error`` component.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorItemSerializer(serializers.Serializer):
    """One reason a request was refused: the field at fault (empty for the whole request)."""

    field = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
    code = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The API's one error shape: ``{"message": ..., "errors": [{"field", "message", "code"}]}``."""

    message = serializers.CharField()
    # DRF's metaclass takes declared fields off the class, so this does not hide `Serializer.errors`.
    errors = ErrorItemSerializer(many=True)  # type: ignore[assignment]

    class Meta:
        ref_name = "Error"


# Every operation: a malformed request, no or a bad key, a key without the right, an Accept
# header that JSON cannot satisfy, and the key's request limit.
_ALWAYS = {
    400: _("The request is malformed or a value is invalid; `errors` names each field at fault."),
    401: _("No API key, or an unknown, revoked or expired one."),
    403: _("The caller may not use this operation."),
    406: _("The `Accept` header names no type the API can answer with (it answers JSON)."),
    429: _("The key's request limit for this minute is used up; `Retry-After` gives the seconds to wait."),
}
_WITH_PATH_PARAMETER = {404: _("No such record, or one of another brand.")}
_WITH_BODY = {
    415: _("The body is not JSON (send `Content-Type: application/json`)."),
    422: _("The request is well formed but the portal refuses it; `errors` says why."),
}

RETRY_AFTER = {
    "Retry-After": {"description": _("Seconds until another request may be made."), "schema": {"type": "integer"}}
}


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the error answers every operation can give."""

    def _error_statuses(self) -> dict[int, Any]:
        statuses = dict(_ALWAYS)
        if "{" in self.path:
            statuses.update(_WITH_PATH_PARAMETER)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses.update(_WITH_BODY)
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code, description in sorted(self._error_statuses().items()):
            if str(code) in responses:
                continue
            response = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=str(description)), str(code), direction=direction
            )
            if code == 429:
                response["headers"] = RETRY_AFTER
            responses[str(code)] = response
        return responses
