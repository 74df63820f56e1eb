"""Members API: a brand's system creates, reads and erases its members and records consent."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

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


class MemberViewSet(viewsets.GenericViewSet):
    """``/members/{external_id}``: read, create or update, erase; ``/consents``: the consent history.

    Another brand's member is 404.
    """

    permission_classes = [IsBrandKey]
    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"

    @extend_schema(responses=MemberSerializer)
    def retrieve(self, request: Request, external_id: str) -> Response:
        return Response(MemberSerializer(_member(request, external_id)).data)

    @extend_schema(request=MemberWriteSerializer, responses=MemberSerializer)
    def update(self, request: Request, external_id: str) -> Response:
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
    def destroy(self, request: Request, external_id: str) -> Response:
        member_erase(member=_member(request, external_id), actor=request_api_key(request), reason="API request")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], request=None, responses=ConsentSerializer(many=True))
    @extend_schema(methods=["POST"], request=ConsentWriteSerializer, responses={201: ConsentSerializer})
    @action(detail=True, methods=["get", "post"])
    def consents(self, request: Request, external_id: str) -> Response:
        """The member's consent history (GET), and a new statement appended to it (POST)."""
        member = _member(request, external_id)
        if request.method == "GET":
            return Response(ConsentSerializer(member.consents.order_by("-captured_at", "-id"), many=True).data)
        serializer = ConsentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = consent_record(member=member, actor=request_api_key(request), **serializer.validated_data)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)
