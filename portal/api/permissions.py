"""Who may call the API: a brand's key, or a signed-in staff user within their brands."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from portal.api.authentication import request_api_key


class IsBrandKeyOrStaff(BasePermission):
    """Allow a valid brand API key, or an authenticated staff user."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request_api_key(request) is not None:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class IsBrandKey(BasePermission):
    """Allow only a brand's API key (the brand's own systems)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_api_key(request) is not None
