"""Shapes of the members API: input is checked here, writes go through the services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from members.choices import ConsentPurpose, ConsentSource
from members.models import Consent, LineLink, Member
from members.phones import normalize_phone
from members.selectors import member_reachability


class MemberWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)
    phone = serializers.CharField(max_length=64)

    def validate_phone(self, value: str) -> str:
        try:
            normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ("id", "purpose", "granted", "source", "evidence", "notice_version", "captured_at", "created_at")
        read_only_fields = ("id", "created_at")


class ConsentWriteSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    granted = serializers.BooleanField()
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=ConsentSource.choices, default=ConsentSource.API
    )
    # A consent statement is only worth what proves it (PDPA): where and how the member said it,
    # and which privacy notice they were shown.
    evidence = serializers.CharField(
        max_length=2000,
        help_text="What proves the statement: a form submission id, a URL, a recording or document reference.",
        error_messages={
            "required": "Say what proves this consent (a form submission id, a URL or a document reference).",
            "blank": "Say what proves this consent (a form submission id, a URL or a document reference).",
        },
    )
    notice_version = serializers.CharField(
        max_length=64,
        allow_blank=True,
        default="",
        help_text="The version of the privacy notice the member was shown, e.g. 2026-11; required to grant.",
    )
    captured_at = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A grant is informed only against a notice; a withdrawal needs no notice to stand.
        if attrs.get("granted") and not attrs.get("notice_version", "").strip():
            raise serializers.ValidationError(
                {"notice_version": "Give the version of the privacy notice the member was shown (e.g. 2026-11)."}
            )
        return attrs


class LineLinkSerializer(serializers.ModelSerializer):
    bound = serializers.BooleanField(source="is_bound")

    class Meta:
        model = LineLink
        fields = ("uid", "is_friend", "is_blocked", "bound", "bound_at")


class MemberSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="phone_e164")
    consents = serializers.SerializerMethodField()
    line_link = serializers.SerializerMethodField()
    reachability = serializers.SerializerMethodField()
    erased = serializers.BooleanField(source="is_erased")

    class Meta:
        model = Member
        fields = (
            "external_id",
            "name",
            "phone",
            "phone_type",
            "phone_hash",
            "phone_confirmed_at",
            "needs_phone_confirmation",
            "duplicate_phone",
            "pnp_consent",
            "sms_consent",
            "consents",
            "line_link",
            "reachability",
            "erased",
            "created_at",
            "updated_at",
        )

    def get_consents(self, member: Member) -> list[dict[str, Any]]:
        return ConsentSerializer(member.consents.order_by("-captured_at", "-id")[:100], many=True).data  # type: ignore[return-value]

    def get_line_link(self, member: Member) -> dict[str, Any] | None:
        link = LineLink.objects.filter(member=member).first()
        return LineLinkSerializer(link).data if link else None  # type: ignore[return-value]

    def get_reachability(self, member: Member) -> dict[str, Any]:
        reach = member_reachability(member)
        return {"open": list(reach.open), "closed": reach.closed}
