"""HTML previews for the review page: a LINE-like chat bubble and the SMS text with its segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from compliance.models import TemplateVersion
from compliance.rendering import render_line_messages, render_sms_text, sms_length, sms_segments
from compliance.rules import sample_values

_TEXT_SIZES = {"xxs": "11px", "xs": "12px", "sm": "13px", "md": "14px", "lg": "16px", "xl": "18px", "xxl": "20px"}


def _flex_node(node: Any) -> SafeString:
    if not isinstance(node, dict):
        return SafeString("")
    kind = node.get("type")
    if kind == "box":
        direction = "row" if node.get("layout") == "horizontal" else "column"
        children = format_html_join("", "{}", ((_flex_node(child),) for child in node.get("contents") or []))
        return format_html('<div class="flex-box flex-{}">{}</div>', direction, children)
    if kind == "text":
        style = f"font-size:{_TEXT_SIZES.get(str(node.get('size', 'md')), '14px')};"
        if node.get("weight") == "bold":
            style += "font-weight:bold;"
        color = str(node.get("color", ""))
        if color.startswith("#") and len(color) in (4, 7) and all(c in "0123456789abcdefABCDEF" for c in color[1:]):
            style += f"color:{color};"
        return format_html('<div class="flex-text" style="{}">{}</div>', style, linebreaksbr(node.get("text", "")))
    if kind == "button":
        action = node.get("action") or {}
        return format_html(
            '<div class="flex-button" title="{}">{}<small>{}</small></div>',
            action.get("uri", ""),
            action.get("label", ""),
            action.get("uri", ""),
        )
    if kind == "separator":
        return SafeString('<hr class="flex-separator">')
    return format_html('<div class="flex-unsupported">[{}]</div>', kind)


def _bubble(message: dict[str, Any]) -> SafeString:
    if message.get("type") == "text":
        return format_html('<div class="line-bubble line-text">{}</div>', linebreaksbr(message.get("text", "")))
    bubble = message.get("contents") or {}
    parts = format_html_join(
        "",
        '<div class="flex-{}">{}</div>',
        ((part, _flex_node(bubble.get(part))) for part in ("header", "body", "footer") if bubble.get(part)),
    )
    return format_html('<div class="line-bubble line-flex">{}</div>', parts)


@dataclass(frozen=True)
class Preview:
    line_html: SafeString
    sms_text: str
    sms_segments: int
    sms_units: int
    sms_encoding: str


def version_preview(version: TemplateVersion, values: dict[str, str] | None = None) -> Preview:
    """Render the version with sample values (or the given ones) for the review page."""
    values = values if values is not None else sample_values(version)
    try:
        messages = render_line_messages(version=version, variables=values)
        line_html = format_html_join("", "{}", ((_bubble(m),) for m in messages))
    except (AttributeError, TypeError, ValueError):
        line_html = format_html('<p class="errornote">{}</p>', _("The Flex JSON cannot be rendered."))
    sms = render_sms_text(version=version, variables=values)
    units, gsm = sms_length(sms)
    return Preview(line_html, sms, sms_segments(sms), units, "GSM-7" if gsm else "UCS-2")
