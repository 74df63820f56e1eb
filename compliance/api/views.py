"""Template endpoints for a brand's systems: list templates, and check values before sending."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from compliance.advertising import detect
from compliance.api.serializers import (
    CopyCheckResultSerializer,
    CopyCheckSerializer,
    MessageTemplateSerializer,
    TemplateCheckResultSerializer,
    TemplateCheckSerializer,
)
from compliance.models import MessageTemplate
from compliance.selectors import (
    advertising_lists,
    render_line_content,
    render_sms_text,
    send_check_variables,
    sms_segments,
    template_version_for_send,
)
from portal.api.authentication import request_api_key
from portal.api.permissions import IsBrandKey


class MessageTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """A brand's templates, by code; another brand's template answers 404."""

    serializer_class = MessageTemplateSerializer
    permission_classes = [IsBrandKey]
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[MessageTemplate]:
        api_key = request_api_key(self.request)
        if api_key is None:  # the schema generator; IsBrandKey refuses real requests without a key
            return MessageTemplate.objects.none()
        return MessageTemplate.objects.filter(brand_id=api_key.brand_id).select_related("current_version")

    @extend_schema(request=TemplateCheckSerializer, responses=TemplateCheckResultSerializer)
    @action(detail=True, methods=["post"])
    def check(self, request: Request, code: str) -> Response:
        """Check a send's body against the approved version and return the messages it would carry.

        The body is a send's (``POST /notifications``) with the same defaults: ``variables`` {},
        ``occurred_at`` now.

        Limits that count earlier sends (reservation reminders) are applied at send time.
        """
        api_key = request_api_key(request)
        assert api_key is not None
        payload = TemplateCheckSerializer(data=request.data, context={"code": code})
        payload.is_valid(raise_exception=True)
        self.get_object()  # a code the brand has no template for is 404, like GET /templates/{code}
        version = template_version_for_send(brand=api_key.brand, code=code)
        values = send_check_variables(
            version=version,
            variables=payload.validated_data["variables"],
            occurred_at=payload.validated_data.get("occurred_at") or timezone.now(),
            reservation_key=payload.validated_data.get("reservation_key") or "dry-run",
            prior_sends=lambda **_: 0,
        )
        sms = render_sms_text(version=version, variables=values)
        return Response(
            {
                "version": version.number,
                "line_messages": render_line_content(version=version, variables=values),
                "sms_text": sms,
                "sms_segments": sms_segments(sms),
            }
        )


class CopyCheckViewSet(viewsets.GenericViewSet):
    """Copy checked for advertising before a template is written; nothing is stored."""

    permission_classes = [IsBrandKey]
    serializer_class = CopyCheckSerializer

    @extend_schema(request=CopyCheckSerializer, responses={200: CopyCheckResultSerializer})
    def create(self, request: Request) -> Response:
        """Return the verdict (block, review, pass) on the copy and each finding with its clause and evidence."""
        payload = CopyCheckSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        verdict = detect(
            payload.validated_data["text"], use_case=payload.validated_data.get("use_case"), lists=advertising_lists()
        )
        return Response(verdict.as_dict())
