"""Requests refused before any view: what no view or database could handle."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

API_DEFAULT_LANGUAGE = "en"


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
    (``/api/``) is left alone: it follows each request's ``Accept-Language``
    (:class:`ApiLanguageMiddleware`).
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


class ApiLanguageMiddleware:
    """Speak the API in the language of ``Accept-Language``, English when it names none we have.

    The admin follows the staff member's choice (the header's switch, remembered per user) and
    defaults to Traditional Chinese; a brand's system talking to the API is read by developers,
    so its messages follow the request alone. Error codes never change with the language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            language = api_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def api_language(header: str) -> str:
    """Return the first language of an ``Accept-Language`` header the portal speaks, else English."""
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return API_DEFAULT_LANGUAGE
