"""API key authentication: ``Authorization: Bearer <key>`` identifies one brand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from portal.models import BrandAPIKey

# Writing last_used_at on every request would turn each read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


class BrandAPIKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate a brand's system by its API key; ``request.auth`` is the key."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, BrandAPIKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the API key as 'Authorization: Bearer <key>'."))
        prefix = header[1].partition(".")[0]
        api_key = BrandAPIKey.objects.select_related("brand").filter(prefix=prefix).first()
        if api_key is None or not api_key.is_valid(header[1]):
            raise exceptions.AuthenticationFailed(_("Unknown API key."))
        if api_key.has_expired or api_key.revoked:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked or has expired."))
        if not api_key.brand.is_active:
            raise exceptions.AuthenticationFailed(_("This brand is inactive."))
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > _LAST_USED_RESOLUTION:
            BrandAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return AnonymousUser(), api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


def request_api_key(request: Any) -> BrandAPIKey | None:
    """Return the API key a request was authenticated with, if any."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, BrandAPIKey) else None


class BrandAPIKeyScheme(OpenApiAuthenticationExtension):
    """Describe the API key as an HTTP bearer scheme in the OpenAPI schema."""

    target_class = "portal.api.authentication.BrandAPIKeyAuthentication"
    name = "BrandAPIKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A brand's API key: `Authorization: Bearer <key>`."}
