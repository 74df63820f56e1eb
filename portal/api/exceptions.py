"""One error shape for the whole API: a message, and the fields at fault with their reasons.

Messages are in the request's language (``portal.middleware.ApiLanguageMiddleware``: English
unless ``Accept-Language`` asks for Traditional Chinese); ``code`` is the same in every language.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.exceptions import PortalError

# A message may quote the value it refuses ("“\ud800” is not a valid choice"); a lone surrogate
# cannot be encoded as UTF-8, so the answer itself would fail (a 500) unless it is replaced.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text: str) -> str:
    """Return ``text`` with each lone surrogate replaced by U+FFFD, so the answer can be encoded."""
    return _SURROGATE.sub("\ufffd", text)


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        errors: list[dict[str, str]] = []
        for key, value in detail.items():
            field = f"{prefix}.{key}" if prefix else str(key)
            errors.extend(_flatten(value, "" if key == "non_field_errors" and not prefix else field))
        return errors
    if isinstance(detail, list):
        errors = []
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                errors.extend(_flatten(value, f"{prefix}[{index}]"))
            else:
                errors.extend(_flatten(value, prefix))
        return errors
    return [
        {"field": _encodable(prefix), "message": _encodable(str(detail)), "code": getattr(detail, "code", "invalid")}
    ]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render DRF, Django and domain errors as ``{"message": ..., "errors": [{"field", "message", "code"}]}``."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, PortalError):
        return Response(
            {
                "message": _encodable(str(exc)),
                "errors": [
                    {
                        "field": getattr(exc, "field", ""),
                        "message": _encodable(str(exc)),
                        "code": getattr(exc, "code", type(exc).__name__),
                    }
                ],
            },
            status=getattr(exc, "status_code", status.HTTP_422_UNPROCESSABLE_ENTITY),
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        summary = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
        response.data = {"message": summary or _("Invalid request."), "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"message": _encodable(str(detail)), "errors": []}
    return response
