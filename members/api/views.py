"""Members API: a brand's system creates, reads and erases its members and records consent."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.api.serializers import ConsentSerializer, ConsentWriteSerializer, MemberSerializer, MemberWriteSerializer
from members.models import Member
from members.services import consent_record, member_erase, member_upsert
from portal.api.authentication import request_api_key
from portal.api.permissions import IsBrandKey


def _brand(request: Request) -> Any:
    api_key = request_api_key(request)
    assert api_key is not None  # IsBrandKey
    return api_key.brand


def _member(request: Request, external_id: str) -> Member:
    member = Member.objects.select_related("brand").filter(brand=_brand(request), external_id=external_id).first()
    if member is None:
        raise Http404
    return member


class MemberView(APIView):
    """``/members/{external_id}``: read, create or update, erase. Another brand's member is 404."""

    permission_classes = [IsBrandKey]

    @extend_schema(responses=MemberSerializer)
    def get(self, request: Request, external_id: str) -> Response:
        return Response(MemberSerializer(_member(request, external_id)).data)

    @extend_schema(request=MemberWriteSerializer, responses=MemberSerializer)
    def put(self, request: Request, external_id: str) -> Response:
        serializer = MemberWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member, created = member_upsert(
            brand=_brand(request),
            external_id=external_id,
            name=serializer.validated_data["name"],
            phone=serializer.validated_data["phone"],
            actor=request_api_key(request),
        )
        return Response(
            MemberSerializer(member).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(responses={204: None})
    def delete(self, request: Request, external_id: str) -> Response:
        member_erase(member=_member(request, external_id), actor=request_api_key(request), reason="API request")
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberConsentsView(APIView):
    """``/members/{external_id}/consents``: the history, and a new statement appended to it."""

    permission_classes = [IsBrandKey]

    @extend_schema(responses=ConsentSerializer(many=True))
    def get(self, request: Request, external_id: str) -> Response:
        member = _member(request, external_id)
        return Response(ConsentSerializer(member.consents.order_by("-captured_at", "-id"), many=True).data)

    @extend_schema(request=ConsentWriteSerializer, responses=ConsentSerializer)
    def post(self, request: Request, external_id: str) -> Response:
        member = _member(request, external_id)
        serializer = ConsentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = consent_record(member=member, actor=request_api_key(request), **serializer.validated_data)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)
