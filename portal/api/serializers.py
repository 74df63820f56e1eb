"""Serializers for the portal's own records."""

from rest_framework import serializers

from portal.models import Brand


class BrandSerializer(serializers.ModelSerializer):
    """A brand as a brand's system or staff may see it: never its credentials."""

    has_channel_secret = serializers.BooleanField(read_only=True)
    has_channel_access_token = serializers.BooleanField(read_only=True)

    class Meta:
        model = Brand
        fields = (
            "slug",
            "name",
            "account_type",
            "legal_entity_type",
            "is_certified_provider",
            "certified_provider_since",
            "application_path",
            "line_channel_id",
            "has_channel_secret",
            "has_channel_access_token",
            "is_active",
        )
        read_only_fields = fields
