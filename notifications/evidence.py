"""The evidence pack of one notification: consent → approved template → LINE's answer and event → count day.

A brand needs it for a member's complaint, a PDPA request or LINE's audit. :func:`evidence_pack`
gathers it as plain data (the JSON download); :func:`evidence_pdf` lays the same data out with
ReportLab. Responses and events are redacted (:func:`notifications.story.redact`); the member's
phone number appears masked, with the hash LINE matched it by.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from compliance.models import RuleResult
from notifications.choices import Channel
from notifications.models import Notification
from notifications.story import Story, consents_behind, delivery_event_for, notification_story, redact
from portal.actors import actor_label

PDF_FONT = "MSung-Light"  # ReportLab's built-in CID font: Traditional Chinese without shipping a font file


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _user(user: Any) -> str | None:
    return actor_label(user) if user is not None else None


def evidence_pack(notification: Notification, story: Story | None = None) -> dict[str, Any]:
    """Return the evidence behind one notification as JSON-ready data (from its ``story`` if read already)."""
    story = story or notification_story(notification)
    attempts = [s.attempt for s in story.attempts]
    member = notification.member
    version = notification.template_version
    overruled = (
        RuleResult.objects.filter(version=version, reviewer_passed__isnull=False)
        .exclude(passed=None)
        .select_related("reviewed_by")
    )
    used = {a.channel for a in attempts} or set(notification.channel_plan[:1])
    requests = []
    for item in story.attempts:
        attempt = item.attempt
        if attempt.channel == Channel.SMS:
            content: Any = notification.sms_text
        else:
            content = notification.line_messages
        event = item.settled_by
        requests.append(
            {
                "channel": attempt.channel,
                "delivery_tag": attempt.reference,
                "request": {
                    "to": member.masked_phone,
                    "to_hash": member.phone_hash if attempt.channel == Channel.PNP else None,
                    "sent_at": _when(attempt.sent_at),
                    "content": redact(content) if notification.content_purged_at is None else None,
                },
                "response": {
                    "status": attempt.status,
                    "code": item.code,
                    "answered_at": _when(attempt.answered_at),
                    "accepted_at": _when(attempt.accepted_at),
                    "body": item.response,
                    "retries": attempt.retries,
                    "vendor": attempt.vendor or None,
                    "vendor_message_id": attempt.vendor_message_id or None,
                    "sms_segments": attempt.sms_segments,
                },
                "delivered_at": _when(attempt.delivered_at),
                "delivery_event": (
                    {
                        "event_id": event.event_id,
                        "type": event.event_type,
                        "occurred_at": _when(event.occurred_at),
                        "received_at": _when(event.received_at),
                        "redelivery": event.is_redelivery,
                        "result": event.result,
                        "payload": redact(event.payload),
                    }
                    if event is not None
                    else None
                ),
                "vendor_report": item.vendor_report or None,
            }
        )
    cost = story.cost
    return {
        "notification": {
            "id": notification.pk,
            "brand": notification.brand.slug,
            "member": member.external_id,
            "phone": member.masked_phone,
            "template": notification.template_code,
            "accepted_at": _when(notification.created_at),
            "submitted_by": notification.submitted_by,
            "status": notification.status,
            "channel_plan": list(notification.channel_plan),
            "delivered_at": _when(notification.delivered_at),
            "delivered_channel": notification.delivered_channel or None,
            "delivered_twice": notification.delivered_twice,
            "final_reason": notification.reason_text,
            "final_reason_code": notification.final_reason_code or None,
        },
        "consents": [
            {
                "purpose": consent.purpose,
                "granted": consent.granted,
                "source": consent.source,
                "evidence": consent.evidence,
                "notice_version": consent.notice_version,
                "captured_at": _when(consent.captured_at),
                "captured_by": consent.captured_by_label or _user(consent.captured_by),
            }
            for consent in consents_behind(notification, used)
        ],
        "template_version": {
            "template": version.template.code,
            "version": version.number,
            "status": version.status,
            "author": _user(version.author),
            "submitted_by": _user(version.submitted_by),
            "submitted_at": _when(version.submitted_at),
            "reviewers": [name for name in [_user(version.reviewer)] if name],
            "reviewed_at": _when(version.reviewed_at),
            "approved_at": _when(version.approved_at),
            "review_comment": version.review_comment,
            "overruled_findings": [
                {
                    "rule": result.rule_code,
                    "check_passed": result.passed,
                    "reviewer_verdict": result.reviewer_passed,
                    "note": result.reviewer_note,
                    "by": _user(result.reviewed_by),
                }
                for result in overruled
                if result.passed != result.reviewer_passed
            ],
        },
        "requests": requests,
        "timeline": [
            {
                "at": _when(event.at),
                "event": event.kind,
                "detail": event.detail_text,
                "detail_code": event.detail_code or None,
            }
            for event in story.timeline
        ],
        "billing": {
            "pnp_delivered": cost.pnp_delivered,
            "line_count_day_jst": _when(cost.pnp_count_day),
            "sms_segments": cost.sms_segments,
            "sms_price_per_segment_twd": _decimal(cost.sms_price_per_segment),
            "sms_cost_twd": _decimal(cost.sms_cost),
        },
    }


def _decimal(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _rows(style: ParagraphStyle, data: dict[str, Any], prefix: str = "") -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(_rows(style, value, f"{name}."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                rows.extend(_rows(style, item, f"{name}[{index}]."))
        else:
            text = ", ".join(map(_cell, value)) if isinstance(value, list) else _cell(value)
            rows.append([Paragraph(escape(name), style), Paragraph(escape(text), style)])
    return rows


def evidence_pdf(pack: dict[str, Any]) -> bytes:
    """Lay the pack out as a PDF: one table per part, in the order the evidence runs."""
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontName=PDF_FONT, fontSize=8, leading=10, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=sheet["Heading2"], fontName=PDF_FONT)
    title = ParagraphStyle("title", parent=sheet["Title"], fontName=PDF_FONT)
    parts = [
        ("notification", _("Notification")),
        ("consents", _("Consent that allowed the send")),
        ("template_version", _("Template version and its review")),
        ("requests", _("Requests to LINE and the SMS vendor, their answers and delivery events")),
        ("timeline", _("Timeline")),
        ("billing", _("Billing facts")),
    ]
    story: list[Any] = [
        Paragraph(escape(_("Evidence pack of notification #%(id)s") % {"id": pack["notification"]["id"]}), title)
    ]
    for key, label in parts:
        story.append(Paragraph(escape(label), heading))
        value = pack[key]
        rows = _rows(body, {key: value}) if value else [[Paragraph(escape(_("none")), body), ""]]
        table = Table(rows, colWidths=[60 * mm, 110 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.extend([table, Spacer(1, 4 * mm)])
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=f"notification-{pack['notification']['id']}-evidence", invariant=1
    )
    document.build(story)
    return buffer.getvalue()


__all__ = ["delivery_event_for", "evidence_pack", "evidence_pdf"]
