"""URL map: the admin, the versioned REST API, its OpenAPI schema and LINE's webhooks."""

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView


def healthz(request: HttpRequest) -> JsonResponse:
    """Answer a load balancer's liveness probe."""
    return JsonResponse({"status": "ok"})


api_v1 = [
    path("", include("portal.api.urls")),
    path("", include("members.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("compliance.api.urls")),
    path("", include("binding.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("webhooks/", include("notifications.api.webhook_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
]
