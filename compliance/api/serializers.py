"""Shapes of the template endpoints: what a brand's system needs to fill a template."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance.models import MessageTemplate, TemplateVersion
from portal.api.fields import JSONObjectField


class TemplateVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = TemplateVersion
        fields = ("number", "status", "variables", "channels", "urgency", "sms_fallback_delay_minutes", "approved_at")


class MessageTemplateSerializer(serializers.ModelSerializer):
    sendable_version = serializers.SerializerMethodField()

    class Meta:
        model = MessageTemplate
        fields = ("code", "name", "use_case", "language", "status", "sendable_version")

    @extend_schema_field(TemplateVersionSerializer(allow_null=True))
    def get_sendable_version(self, obj: MessageTemplate) -> dict[str, Any] | None:
        version = obj.current_version
        if version is None:
            return None
        return TemplateVersionSerializer(version).data  # type: ignore[return-value]


class TemplateCheckSerializer(serializers.Serializer):
    variables = JSONObjectField(help_text="Values by variable name.")
    occurred_at = serializers.DateTimeField(help_text="When the event happened (ISO 8601 with time zone).")


class TemplateCheckResultSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    line_messages = serializers.ListField(child=serializers.DictField())
    sms_text = serializers.CharField()
    sms_segments = serializers.IntegerField()
