"""Requests refused before any view: what no view or database could handle."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _


class RefuseNulCharactersMiddleware:
    """Answer 400 when the path or the query string holds a NUL character (``%00``).

    PostgreSQL cannot hold a NUL in text, so a lookup by such a value fails in the database
    driver (a 500) instead of finding nothing; no URL of the portal can need one. Bodies are
    checked where they are parsed: DRF's and Django's character fields refuse NULs already,
    and the API's free-form JSON values are checked by :class:`portal.api.fields.JSONValueField`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote(query):
            message = _("The address contains a NUL character (byte 0); remove it and send the request again.")
            if request.path.startswith("/api/"):
                error = {"field": "", "message": message, "code": "null_characters_not_allowed"}
                return JsonResponse({"message": message, "errors": [error]}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class UserLanguageMiddleware:
    """Speak to a signed-in staff user in the language they chose, whatever the browser asks for.

    After ``AuthenticationMiddleware`` (it needs the user) and ``LocaleMiddleware`` (whose choice
    from the cookie or ``Accept-Language`` it overrides for the rest of the request). The API
    (``/api/``) is left alone: it follows each request's ``Accept-Language``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from portal.selectors import user_language

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            language = user_language(user)
            if language and language != getattr(request, "LANGUAGE_CODE", None):
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
