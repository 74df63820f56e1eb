"""Shapes of the notifications API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from notifications.choices import NotificationStatus
from notifications.models import Attempt, Notification, NotificationEvent
from portal.api.fields import JSONObjectField

FINAL_REASON_HELP = "Why it ended without a delivery, in the request's language (Accept-Language)."
FINAL_REASON_CODE_HELP = (
    "The reason's stable code, the same in every language (empty: LINE's or the SMS vendor's answer, as they sent it)."
)


class NotificationRequestSerializer(serializers.Serializer):
    """One notification to send: a template, a member (or a phone), the variables and the event time."""

    template = serializers.CharField(max_length=64)
    member = serializers.CharField(max_length=64, required=False, allow_blank=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=False)
    variables = JSONObjectField(required=False, default=dict)
    occurred_at = serializers.DateTimeField(required=False)
    reservation_key = serializers.CharField(max_length=100, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("member")) == bool(attrs.get("phone")):
            raise serializers.ValidationError({"member": "Give exactly one of member (external id) or phone."})
        return attrs


class BatchItemSerializer(NotificationRequestSerializer):
    idempotency_key = serializers.CharField(max_length=255)


class BatchRequestSerializer(serializers.Serializer):
    notifications = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=1000)


class EventSerializer(serializers.ModelSerializer):
    channel = serializers.SerializerMethodField()
    detail = serializers.CharField(
        source="detail_text", read_only=True, help_text="In the request's language (Accept-Language)."
    )
    detail_code = serializers.CharField(
        read_only=True,
        help_text="The detail's stable code (empty: the text is LINE's or the SMS vendor's, as they sent it).",
    )

    class Meta:
        model = NotificationEvent
        fields = ("at", "kind", "channel", "detail", "detail_code")

    def get_channel(self, event: NotificationEvent) -> str | None:
        return event.attempt.channel if event.attempt_id else None  # type: ignore[union-attr]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = (
            "channel",
            "status",
            "sent_at",
            "accepted_at",
            "delivered_at",
            "http_status",
            "retries",
            "error",
            "sms_segments",
        )


class NotificationSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.external_id")
    template_version = serializers.IntegerField(source="template_version.number")
    final_reason = serializers.CharField(source="reason_text", read_only=True, help_text=FINAL_REASON_HELP)
    final_reason_code = serializers.CharField(read_only=True, help_text=FINAL_REASON_CODE_HELP)
    timeline = EventSerializer(source="events", many=True)
    attempts = AttemptSerializer(many=True)

    class Meta:
        model = Notification
        fields = (
            "id",
            "status",
            "template_code",
            "template_version",
            "member",
            "channel_plan",
            "channel",
            "created_at",
            "occurred_at",
            "delivered_at",
            "delivered_channel",
            "delivered_twice",
            "final_reason",
            "final_reason_code",
            "attempts",
            "timeline",
        )
        read_only_fields = fields


class NotificationListQuerySerializer(serializers.Serializer):
    """The list's filters, each optional: a member number, a status, a template code and a time range."""

    member = serializers.CharField(max_length=64, required=False, help_text="The brand's member number.")
    status = serializers.ChoiceField(choices=NotificationStatus.choices, required=False)
    template = serializers.CharField(max_length=64, required=False, help_text="The template code.")
    since = serializers.DateTimeField(required=False, help_text="Accepted at or after (ISO 8601).")
    until = serializers.DateTimeField(required=False, help_text="Accepted before (ISO 8601).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": "Give an until later than since."})
        return attrs


class NotificationListSerializer(serializers.ModelSerializer):
    """One notification in the list: where it stands, without its attempts and timeline."""

    member = serializers.CharField(source="member.external_id")
    template_version = serializers.IntegerField(source="template_version.number")
    final_reason = serializers.CharField(source="reason_text", read_only=True, help_text=FINAL_REASON_HELP)
    final_reason_code = serializers.CharField(read_only=True, help_text=FINAL_REASON_CODE_HELP)

    class Meta:
        model = Notification
        fields = (
            "id",
            "status",
            "template_code",
            "template_version",
            "member",
            "channel",
            "created_at",
            "delivered_at",
            "delivered_channel",
            "delivered_twice",
            "final_reason",
            "final_reason_code",
        )
        read_only_fields = fields


def accepted_body(notification: Notification) -> dict[str, Any]:
    """The 202 answer: enough for the brand to follow the notification."""
    return {
        "id": notification.pk,
        "status": notification.status,
        "template": notification.template_code,
        "template_version": notification.template_version.number,
        "member": notification.member.external_id,
        "channel_plan": notification.channel_plan,
        "created_at": serializers.DateTimeField().to_representation(notification.created_at),
    }
