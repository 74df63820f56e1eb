"""URL map: the admin, the versioned REST API, its OpenAPI schema and docs page, and LINE's webhooks."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.views import language_set


def healthz(request: HttpRequest) -> JsonResponse:
    """Answer a load balancer's liveness probe."""
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer an address that matches no route: in the API's error shape under ``/api/``, else Django's page."""
    if request.path.startswith("/api/"):
        message = _("No such address in the API; see /api/schema/ for the operations it offers.")
        return JsonResponse({"message": message, "errors": []}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = not_found


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """The admin's "view on site" redirect, with 404 for a model that has no table of its own.

    Admin pages without rows of their own (the billing dashboard, the copy check) are unmanaged
    models; Django's view would query their missing table (a 500).
    """
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model = content_type.model_class() if content_type else None
    if model is None or not model._meta.managed:
        raise Http404(_("No such object."))
    return shortcut(request, content_type_id, object_id)


api_v1 = [
    path("", include("portal.api.urls")),
    path("", include("members.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("compliance.api.urls")),
    path("", include("binding.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    # Ahead of the admin's own route of the same address (``admin:view_on_site`` still names it).
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its start-up script at ?script= rather than inline, for the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("webhooks/", include("notifications.api.webhook_urls")),
    path("i18n/setlang/", language_set, name="set_language"),
    path("healthz", healthz, name="healthz"),
    # make run's stand-in for a brand's LIFF binding page; it answers 404 unless DEMO_MODE.
    path("", include("binding.urls")),
]
