from django.urls import path

from notifications.api.webhooks import line_webhook, mitake_report, sandbox_sms_report

urlpatterns = [
    path("line/<slug:brand_slug>", line_webhook, name="line-webhook"),
    path("sms/mitake/<uuid:reference>", mitake_report, name="sms-report-mitake"),
    path("sms/sandbox/<uuid:reference>", sandbox_sms_report, name="sms-report-sandbox"),
]
