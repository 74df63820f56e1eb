"""What a rule found, stored as a message code and its parameters, and rendered for the reader.

A rule result is read by people working in Traditional Chinese and in English, often not by
whoever ran the check; so a finding is stored as a stable code (``MESSAGES``) with JSON
parameters and put into words only when it is shown, in the reader's active language.
A finding without a code (an older row, or a check that only gave a text) shows its text.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# A finding made of several findings (a check that lists each problem it saw).
LIST_CODE = "list"
# One finding of the advertising detector: where, how severe, which clause, and the detector's
# own code and parameters (``compliance.advertising.MESSAGES``).
AD_FOUND = "ad.found"
AD_SEVERITIES: dict[str, Promise] = {"block": _("blocks"), "review": _("a reviewer decides")}

MESSAGES: dict[str, Promise] = {
    "not_applicable": _("Not applicable to this template."),
    "could_not_check": _("Could not check: %(error)s"),
    "promo.found": _("Promotional wording found: %(terms)s"),
    "points.promotional": _("Announces promotional points: %(terms)s"),
    "reservation.confirm": _("Confirm the brand is a restaurant, an offline service or an offline event."),
    "otp.code_count": _("declares %(n)d code variables, needs exactly one"),
    "otp.link": _("contains a link or button"),
    "new_use_case.no_description": _("No description of the new use case."),
    "new_use_case.confirm": _("Confirm LINE approved this use case in the brand's application."),
    "link.not_https": _("Not https: %(urls)s"),
    "link.domain": _("Domain not on the brand's allow-list: %(urls)s"),
    "link.shortener": _("URL shortener: %(hosts)s"),
    "button.incomplete": _("A button needs both a label and a URL."),
    "button.confirm": _("Open %(url)s and confirm it relates to this notification."),
    "var.name": _("#%(i)d: name %(name)r must be lower case letters, digits and _"),
    "var.twice": _("%(name)s is declared twice"),
    "var.type": _("%(name)s: unknown type %(type)r"),
    "var.max_length_range": _("%(name)s: max_length must be 1–%(max)d"),
    "var.sample": _("%(name)s: give a sample value for the preview"),
    "var.malformed": _("%(where)s: malformed placeholder near “%(frag)s”; write {name}"),
    "var.undeclared": _("%(where)s: undeclared %(names)s"),
    "var.unused": _("Declared but never used: %(names)s"),
    "var.position": _("%(where)s starts or ends with a placeholder"),
    "var.no_max_length": _("No max_length for: %(names)s"),
    "channels.none": _("Choose at least one channel (PNP, LINE push, SMS)."),
    "line.message_count": _("A LINE send needs 1–5 messages; this template has %(n)d."),
    "line.message_count_ok": _("%(n)d message(s)"),
    "line.text_too_long": _("%(n)d characters with every variable at its max length; LINE allows 5,000."),
    "line.text_length_ok": _("%(n)d characters at most"),
    "flex.not_bubble": _('The Flex JSON must be one bubble: {"type": "bubble", "body": {...}}.'),
    "flex.no_body": _("The bubble needs a body box."),
    "flex.unknown_types": _("Unknown Flex component types: %(types)s"),
    "flex.media": _("Remove images, video, audio and icons: %(types)s"),
    "sms.fallback_without_sms": _("An SMS fallback is set but SMS is not among the channels."),
    "sms.no_text": _("SMS is a channel: write the SMS text."),
    "sms.event_time": _("Say when the event happened, e.g. {event_time}, in: %(where)s"),
    "sms.ignore_line": _(
        "Add “若您已完成…請忽略此訊息 / If you have already …, please ignore this message” to: %(where)s"
    ),
    "sms.segments": _("%(segments)d segment(s) at most (%(units)d %(enc)s units)"),
    AD_FOUND: _("%(where)s: %(finding)s [%(severity)s, %(section)s]"),
    "urgency.pnp": _("PNP may take up to 24 hours to report a failure; send urgent messages by SMS first."),
}


def render_message(code: str, params: dict[str, Any] | None = None, fallback: str = "") -> str:
    """Return the finding ``code`` with its parameters in the active language, or ``fallback``.

    An unknown code (a message retired since the row was written) or parameters that no longer
    fit the message fall back to the text stored with the finding, never to an error page.
    """
    params = params or {}
    if code == LIST_CODE:
        parts = [
            render_message(str(item.get("message", "")), item.get("params"), str(item.get("text", "")))
            for item in params.get("items", [])
        ]
        return "; ".join(part for part in parts if part) or fallback
    if code == AD_FOUND:
        return _ad_found(params) or fallback
    template = MESSAGES.get(code)
    if template is None:
        return fallback
    try:
        return str(template) % params if params else str(template)
    except (KeyError, TypeError, ValueError):
        return fallback


def _ad_found(params: dict[str, Any]) -> str:
    """One advertising finding in the active language, or "" when its parameters no longer fit."""
    from compliance.advertising import MESSAGES as AD_MESSAGES

    inner = params.get("finding") or {}
    template = AD_MESSAGES.get(str(inner.get("code", "")), AD_MESSAGES["ad.term"])
    extra = {k: v for k, v in (inner.get("params") or {}).items() if k != "text"}
    severity = params.get("severity", "")
    try:
        finding = str(template) % {"text": inner.get("text", ""), **extra}
        return str(MESSAGES[AD_FOUND]) % {
            "where": params.get("where", ""),
            "finding": finding,
            "severity": str(AD_SEVERITIES.get(severity, severity)),
            "section": params.get("section", ""),
        }
    except (KeyError, TypeError, ValueError):
        return ""
