from django.urls import path

from notifications.webhooks import line_webhook

urlpatterns = [
    path("line/<slug:brand_slug>", line_webhook, name="line-webhook"),
]
