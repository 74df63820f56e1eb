"""Binding API: the brand's binding page (LIFF) or backend binds a member's LINE account."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

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


class LineBindingView(APIView):
    """``/members/{external_id}/line-binding``: bind with a bind link token or an OTP; unbind."""

    permission_classes = [IsBrandKey]

    @extend_schema(request=LineBindingWriteSerializer, responses={201: LineBindingSerializer})
    def post(self, request: Request, external_id: str) -> Response:
        member = _member(request, external_id)
        serializer = LineBindingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = line_binding_confirm(member=member, actor=request_api_key(request), **serializer.validated_data)
        return Response(LineBindingSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, external_id: str) -> Response:
        line_binding_remove(member=_member(request, external_id), actor=request_api_key(request), reason="API request")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LineBindingOtpView(APIView):
    """``/members/{external_id}/line-binding/otp``: send the member a 6-digit code (3 per 15 minutes)."""

    permission_classes = [IsBrandKey]

    @extend_schema(request=None, responses={202: OtpSentSerializer})
    def post(self, request: Request, external_id: str) -> Response:
        member = _member(request, external_id)
        try:
            otp = otp_send(member=member, actor=request_api_key(request))
        except OtpRateLimitedError as exc:
            response = exception_handler(exc, {"request": request, "view": self})
            assert response is not None
            response["Retry-After"] = str(exc.retry_after)
            return response
        return Response(OtpSentSerializer(otp).data, status=status.HTTP_202_ACCEPTED)
