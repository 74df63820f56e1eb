"""Brand endpoints: a key sees its own brand, staff see the brands their role allows."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import viewsets

from portal.api.authentication import request_api_key
from portal.api.permissions import IsBrandKeyOrStaff
from portal.api.serializers import BrandSerializer
from portal.models import Brand
from portal.selectors import brands_visible_to


def brands_for_request(request) -> QuerySet[Brand]:  # type: ignore[no-untyped-def]
    """Return the brands this API request may touch: its key's brand, or the user's."""
    api_key = request_api_key(request)
    if api_key is not None:
        return Brand.objects.filter(pk=api_key.brand_id)
    return brands_visible_to(request.user)


class BrandViewSet(viewsets.ReadOnlyModelViewSet):
    """Read the brands visible to the caller; another brand answers 404."""

    serializer_class = BrandSerializer
    permission_classes = [IsBrandKeyOrStaff]
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Brand]:
        return brands_for_request(self.request).order_by("name")
