"""Binding API: the brand's binding page (LIFF) or backend binds a member's LINE account."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from binding.api.serializers import LineBindingSerializer, LineBindingWriteSerializer, OtpSentSerializer
from binding.exceptions import OtpRateLimitedError
from binding.services import line_binding_confirm, line_binding_remove, otp_send
from members.models import Member
from members.selectors import member_get_for_brand
from portal.api.authentication import request_api_key
from portal.api.exceptions import exception_handler
from portal.api.permissions import IsBrandKey


def _member(request: Request, external_id: str) -> Member:
    api_key = request_api_key(request)
    assert api_key is not None  # IsBrandKey
    member = member_get_for_brand(brand=api_key.brand, external_id=external_id)
    if member is None or member.is_erased:
        raise Http404
    return member


class MemberLineBindingViewSet(viewsets.GenericViewSet):
    """``/members/{external_id}/line-binding``: bind with a bind link token or an OTP, unbind, send an OTP.

    Routed beside the members app's own ``/members/{external_id}`` routes; another brand's
    member (or an erased one) is 404.
    """

    permission_classes = [IsBrandKey]
    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"

    @extend_schema(methods=["POST"], request=LineBindingWriteSerializer, responses={201: LineBindingSerializer})
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"], url_path="line-binding", url_name="line-binding")
    def line_binding(self, request: Request, external_id: str) -> Response:
        """Bind the member's LINE account (POST), or remove the binding (DELETE)."""
        member = _member(request, external_id)
        if request.method == "DELETE":
            line_binding_remove(member=member, actor=request_api_key(request), reason="API request")
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = LineBindingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = line_binding_confirm(member=member, actor=request_api_key(request), **serializer.validated_data)
        return Response(LineBindingSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: OtpSentSerializer})
    @action(detail=True, methods=["post"], url_path="line-binding/otp", url_name="line-binding-otp")
    def line_binding_otp(self, request: Request, external_id: str) -> Response:
        """Send the member a 6-digit code (3 per 15 minutes)."""
        member = _member(request, external_id)
        try:
            otp = otp_send(member=member, actor=request_api_key(request))
        except OtpRateLimitedError as exc:
            response = exception_handler(exc, {"request": request, "view": self})
            assert response is not None
            response["Retry-After"] = str(exc.retry_after)
            return response
        return Response(OtpSentSerializer(otp).data, status=status.HTTP_202_ACCEPTED)
