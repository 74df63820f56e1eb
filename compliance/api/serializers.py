"""Shapes of the template endpoints: what a brand's system needs to fill a template."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance.advertising import BLOCK, COPY_MAX_LENGTH, PASS, REVIEW
from compliance.choices import UseCase
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


def _encodable(text: str) -> None:
    """Refuse text that is not valid Unicode (unpaired surrogates cannot be answered in UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise serializers.ValidationError(
            f"Character {exc.start} is an unpaired surrogate; send the copy as valid UTF-8."
        ) from exc


class CopyCheckSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=COPY_MAX_LENGTH,
        trim_whitespace=False,
        validators=[_encodable],
        help_text=f"The copy as members would read it; at most {COPY_MAX_LENGTH:,} characters.",
    )
    use_case = serializers.ChoiceField(
        choices=UseCase.choices,
        required=False,
        help_text="The use case of the template the copy is meant for; some wording is fine in one use case only.",
    )


class EvidenceSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The words as written in the copy.")
    start = serializers.IntegerField(help_text="Index of the first character in the copy.")
    end = serializers.IntegerField(help_text="Index after the last character.")


class CopyFindingSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable category code, e.g. ad.discount.")
    severity = serializers.ChoiceField(choices=[BLOCK, REVIEW])
    clause = serializers.CharField(help_text="Stable id of the guideline clause, e.g. pnp.no_advertising.")
    clause_section = serializers.CharField(help_text="Where the clause is written.")
    evidence = EvidenceSerializer()
    params = serializers.DictField(help_text="What the message about the finding is rendered from.")


class CopyCheckResultSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=[BLOCK, REVIEW, PASS])
    advertising = serializers.BooleanField()
    findings = CopyFindingSerializer(many=True)
