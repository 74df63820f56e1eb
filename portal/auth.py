"""Staff login: django-axes' lockout check in front of Django's own password check."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuse a locked-out username and address before the password is checked.

    A call without a request (a management command, the test client's ``login``) has no
    address to count and is passed on to the next backend: every login over HTTP, the admin's
    form included, carries its request.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The page a locked-out login gets: 429, when to try again, and who can unlock it sooner."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        **admin.site.each_context(request),
        "title": _("Login locked"),
        "is_nav_sidebar_enabled": False,  # nobody is signed in: there is nothing to navigate to
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": minutes,
    }
    response = render(request, "admin/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The username django-axes records for a login: cut to its column's 255 characters.

    A longer one (no account has one) would otherwise fail the attempt's insert, a 500 in place
    of the login page's error.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    value = credentials.get(field) if credentials else request.POST.get(field)
    return None if value is None else str(value)[:255]
