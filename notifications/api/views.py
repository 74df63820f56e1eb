"""Thin API views: shape-check, then call the send pipeline's services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, pagination, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from members.models import Member
from notifications.api.serializers import (
    BatchItemSerializer,
    BatchRequestSerializer,
    NotificationListQuerySerializer,
    NotificationListSerializer,
    NotificationRequestSerializer,
    NotificationSerializer,
    accepted_body,
)
from notifications.models import Notification, NotificationEvent
from notifications.services import (
    BatchItem,
    SendRequest,
    fingerprint,
    notification_accept,
    notifications_accept_batch,
    run_idempotent,
)
from portal.actors import actor_label
from portal.api.authentication import request_api_key
from portal.api.exceptions import exception_handler
from portal.api.permissions import IsBrandKeyOrStaff
from portal.api.views import brands_for_request
from portal.models import Brand

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per notification (e.g. a UUID); the same key and body return the first answer.",
)


def _send_request(data: dict[str, Any]) -> SendRequest:
    return SendRequest(
        template=data["template"],
        variables=dict(data.get("variables") or {}),
        member=data.get("member"),
        phone=data.get("phone"),
        occurred_at=data.get("occurred_at"),
        reservation_key=data.get("reservation_key"),
    )


def _accept(
    brand: Brand, data: dict[str, Any], submitted_by: str, enqueue: Callable[[int], None] | None = None
) -> tuple[int, dict[str, Any]]:
    notification = notification_accept(
        brand=brand, request=_send_request(data), submitted_by=submitted_by, enqueue=enqueue
    )
    return status.HTTP_202_ACCEPTED, accepted_body(notification)


class NotificationCursorPagination(pagination.CursorPagination):
    """Newest first, 50 a page (``page_size`` up to 500); a cursor that was not ours is a 400 naming it."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": "Use the next or previous link of an earlier page."}) from None


class NotificationViewSet(viewsets.GenericViewSet):
    """Send notifications and follow them."""

    permission_classes = [IsBrandKeyOrStaff]
    serializer_class = NotificationSerializer
    pagination_class = NotificationCursorPagination

    def get_queryset(self) -> QuerySet[Notification]:
        events = NotificationEvent.objects.select_related("attempt").order_by("at", "id")
        return (
            Notification.objects.filter(brand__in=brands_for_request(self.request))
            .select_related("member", "template_version")
            .prefetch_related(Prefetch("events", queryset=events), "attempts")
        )

    def _brand(self, request: Request) -> tuple[Brand, str]:
        api_key = request_api_key(request)
        if api_key is None:
            raise exceptions.PermissionDenied("Sending needs a brand's API key (Authorization: Bearer <key>).")
        return api_key.brand, actor_label(api_key)

    @extend_schema(
        request=NotificationRequestSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={202: dict, 409: dict, 422: dict},
    )
    def create(self, request: Request) -> Response:
        """Queue one notification; answer 202 with its id, status and channel plan."""
        brand, submitted_by = self._brand(request)
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 255:
            raise exceptions.ValidationError({"Idempotency-Key": "Send a unique Idempotency-Key header (≤ 255 chars)."})
        serializer = NotificationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code, body, replayed = run_idempotent(
            brand=brand,
            key=key,
            request_hash=fingerprint(request.data),
            work=lambda: _accept(brand, serializer.validated_data, submitted_by),
        )
        response = Response(body, status=code)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(request=BatchRequestSerializer, responses={200: dict})
    @action(detail=False, methods=["post"])
    def batch(self, request: Request) -> Response:
        """Queue up to 1,000 notifications, each with its own idempotency key; one answer per item."""
        brand, submitted_by = self._brand(request)
        envelope = BatchRequestSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        results: list[dict[str, Any] | None] = []
        valid: list[tuple[int, BatchItem]] = []
        shape = BatchItemSerializer()  # one instance for every item, as a ListSerializer does
        for index, item in enumerate(envelope.validated_data["notifications"]):
            try:
                data = dict(shape.run_validation(item))
            except exceptions.ValidationError as exc:
                results.append(self._error(request, index, exc))
                continue
            key = data.pop("idempotency_key")
            body_hash = fingerprint({k: v for k, v in item.items() if k != "idempotency_key"})
            valid.append((index, BatchItem(key=key, request_hash=body_hash, request=_send_request(data))))
            results.append(None)
        outcomes = notifications_accept_batch(
            brand=brand, items=[item for _index, item in valid], submitted_by=submitted_by, respond=accepted_body
        )
        for (index, _item), outcome in zip(valid, outcomes, strict=True):
            if outcome.error is not None:
                results[index] = self._error(request, index, outcome.error)
            else:
                results[index] = {"index": index, "status": outcome.status, "body": outcome.body}
        accepted = sum(1 for r in results if r and r["status"] == status.HTTP_202_ACCEPTED)
        return Response({"accepted": accepted, "refused": len(results) - accepted, "results": results})

    def _error(self, request: Request, index: int, exc: Exception) -> dict[str, Any]:
        error = exception_handler(exc, {"request": request})
        code, body = (error.status_code, error.data) if error is not None else (500, {"message": str(exc)})
        return {"index": index, "status": code, "body": body}

    @extend_schema(parameters=[NotificationListQuerySerializer], responses=NotificationListSerializer(many=True))
    def list(self, request: Request) -> Response:
        """The brand's notifications, newest first, by member, status, template and time accepted."""
        query = NotificationListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        queryset = Notification.objects.filter(brand__in=brands_for_request(request)).select_related(
            "member", "template_version"
        )
        if "member" in filters:
            members = Member.objects.filter(
                brand__in=brands_for_request(request), external_id=filters["member"]
            ).values("pk")
            queryset = queryset.filter(member_id__in=members)
        if "status" in filters:
            queryset = queryset.filter(status=filters["status"])
        if "template" in filters:
            queryset = queryset.filter(template_code=filters["template"])
        if "since" in filters:
            queryset = queryset.filter(created_at__gte=filters["since"])
        if "until" in filters:
            queryset = queryset.filter(created_at__lt=filters["until"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(NotificationListSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """A notification's status, its attempts and the timeline of everything that happened to it."""
        return Response(NotificationSerializer(self.get_object()).data)
