"""Shapes of the template endpoints: what a brand's system needs to fill a template."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
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
    """The body of a send, checked without sending: the same fields, the same defaults.

    ``template``, ``member`` and ``phone`` are accepted so a send's body can be checked as it is;
    the template is the one in the address, and no member is looked up.
    """

    template = serializers.CharField(max_length=64, required=False, help_text="If given, the code in the address.")
    member = serializers.CharField(max_length=64, required=False, allow_blank=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=False)
    variables = JSONObjectField(required=False, default=dict, help_text="Values by variable name.")
    occurred_at = serializers.DateTimeField(
        required=False, help_text="When the event happened (ISO 8601 with time zone); default now, as for a send."
    )
    reservation_key = serializers.CharField(max_length=100, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        code = self.context.get("code")
        if "template" in attrs and code is not None and attrs["template"] != code:
            raise serializers.ValidationError(
                {
                    "template": _("The body names template %(body)s, the address %(code)s; send one code.")
                    % {"body": attrs["template"], "code": code}
                },
                code="template_mismatch",
            )
        if attrs.get("member") and attrs.get("phone"):
            raise serializers.ValidationError(
                {"member": _("Give at most one of member (external id) or phone.")}, code="member_or_phone"
            )
        return attrs


class TemplateCheckResultSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    line_messages = serializers.ListField(child=serializers.DictField())
    sms_text = serializers.CharField()
    sms_segments = serializers.IntegerField()
