"""Shapes of the binding API: input is checked here, the binding itself is done by the services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from members.models import LineLink


class LineBindingWriteSerializer(serializers.Serializer):
    token = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    otp = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "Give the 6-digit code the member received."},
    )
    id_token = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=4096,
        help_text=(
            "The LIFF ID token (liff.getIDToken()) of the member's LINE account: the portal asks LINE "
            "whom it names. Required unless the binding settings say the brand's backend verifies the user."
        ),
    )
    uid = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "The member's LINE user id. With an ID token, optional (it must match the token); without one, "
            "accepted only where the brand's backend verifies the user (recorded as such)."
        ),
    )
    evidence = serializers.CharField(
        max_length=2000, help_text="What the member agreed to and how, e.g. 'LIFF consent checkbox, v3'."
    )
    notice_version = serializers.CharField(max_length=64, help_text="The privacy notice version shown.")
    captured_at = serializers.DateTimeField(required=False, help_text="When the member agreed (default: now).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("token") and not attrs.get("otp"):
            raise serializers.ValidationError(
                {"token": ["Give the bind link's token, or the one-time password (otp) the member received."]}
            )
        return attrs


class LineBindingSerializer(serializers.ModelSerializer):
    bound = serializers.BooleanField(source="is_bound")

    class Meta:
        model = LineLink
        fields = ("uid", "is_friend", "is_blocked", "bound", "bound_at")


class OtpSentSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField()
    notification_id = serializers.IntegerField(source="notification.pk", allow_null=True)
