"""The portal's own words on a timeline, a notification's reason and a webhook event, stored as codes.

A notification's timeline is read by brand staff in Traditional Chinese and in English, long
after a worker wrote it in whatever language it ran in. So each of these texts is stored as a
stable code (``MESSAGES``) with JSON parameters, next to its English wording, and put into
words only when it is shown, in the reader's active language. What LINE or an SMS vendor
answered is their text, not ours: it is stored as it came, with no code, and shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from notifications.choices import Channel

# A text made of several texts (the details of every handler of one webhook event).
LIST_CODE = "list"

MESSAGES: dict[str, Promise] = {
    # Timeline lines.
    "queued.plan": _("channel plan: %(plan)s"),
    "delivered.channel": _("%(channel)s"),
    "retry.gave_up": _("gave up after %(n)d retries: %(error)s"),
    "pnp.accepted": _("LINE answered 200; waiting for the delivery event"),
    "pnp.accepted_template": _("LINE accepted the template PNP (202); waiting for the delivery event"),
    "pnp.ambiguous": _("%(error)s; policy %(policy)s"),
    "pnp.refused_422": _(
        "LINE 422: not on LINE, or PNP turned off by the user (or LINE's privacy policy not accepted)"
    ),
    "delivered_twice.channel": _("%(channel)s delivered too; the member may have received the notice twice"),
    "delivered_twice.event": _("a second delivery event for the same PNP"),
    "sms.sent": _("%(vendor)s message %(id)s, %(n)d segment(s)"),
    "fallback.due": _("no delivery event within %(m)d minutes; sending the SMS"),
    "sms_now.sent": _("sent by SMS now at the request of %(actor)s"),
    # Why a notification ended without a delivery (and its "failed" timeline line).
    "final.no_channel": _("Not delivered on any channel."),
    "final.all_tried": _("Every planned channel has been tried."),
    "final.version_not_approved": _("Template version %(n)d is %(status)s: not sent."),
    "final.sms_not_delivered": _("SMS not delivered: %(s)s"),
    "final.expired": _(
        "not delivered: no delivery event in 24 h (inferred: blocked, no consent or no SMS verification)"
    ),
    # What the portal made of a LINE webhook event.
    "webhook.unmatched": _("no PNP with delivery tag '%(tag)s'"),
    "webhook.duplicate": _("tag %(tag)s already delivered"),
    "webhook.delivered": _("notification %(id)d delivered"),
    "webhook.follow_no_user": _("follow without a user id"),
    "webhook.follows": _("%(uid)s… follows"),
    "webhook.unfollow_no_user": _("unfollow without a user id"),
    "webhook.blocked": _("%(uid)s… blocked the account"),
    "webhook.type_unused": _("type '%(type)s' is not used"),
}

# Parameters that are themselves codes, put into words in the reader's language too.
_PARAM_LABELS: dict[str, type[Channel]] = {"channel": Channel}


def messages_register(messages: Mapping[str, Promise]) -> None:
    """Add another app's codes (a webhook handler's details) to the catalogue, once at start-up."""
    MESSAGES.update(messages)


def _param(name: str, value: Any) -> Any:
    if name == "plan" and isinstance(value, str):  # a channel plan: "pnp → sms", each channel in words
        return " → ".join(_param("channel", step) for step in value.split(" → "))
    labels = _PARAM_LABELS.get(name)
    if labels is not None and value in labels.values:
        return str(labels(value).label)
    return value


def render_text(code: str, params: Mapping[str, Any] | None = None, fallback: str = "") -> str:
    """Return the text ``code`` with its parameters in the active language, or ``fallback``.

    No code (a vendor's answer, an older row) or an unknown one (retired since the row was
    written), or parameters that no longer fit the message: the stored ``fallback`` text,
    never an error page.
    """
    params = params or {}
    if not code:
        return fallback
    if code == LIST_CODE:
        items = params.get("items")
        if not isinstance(items, list):
            return fallback
        parts = [
            render_text(str(item.get("code", "")), item.get("params"), str(item.get("text", "")))
            for item in items
            if isinstance(item, dict)
        ]
        return "; ".join(part for part in parts if part) or fallback
    template = MESSAGES.get(code)
    if template is None or not isinstance(params, Mapping):
        return fallback
    try:
        return str(template) % {name: _param(name, value) for name, value in params.items()}
    except (KeyError, TypeError, ValueError):
        return fallback


@dataclass(frozen=True)
class Text:
    """A text to store: its code and parameters, or (``code`` empty) someone else's words as they came."""

    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    def __str__(self) -> str:
        return render_text(self.code, self.params, self.text)

    def english(self, limit: int) -> str:
        """The stored wording: English, cut to the column's ``limit``."""
        with translation.override("en"):
            return str(self)[:limit]

    def stored(self) -> dict[str, Any]:
        """The item of a list text (``LIST_CODE``)."""
        return {"code": self.code, "params": self.params, "text": self.english(300)}


def text(code: str, **params: Any) -> Text:
    """One of the portal's own texts (see ``MESSAGES``)."""
    if code not in MESSAGES:
        raise KeyError(f"no text {code!r}")
    return Text(code=code, params=params)


def external(words: str) -> Text:
    """Someone else's words (LINE's or a vendor's answer, an exception): stored and shown as they are."""
    return Text(text=words)


def joined(texts: list[Text]) -> Text:
    """Several texts shown as one, separated by semicolons; one text stays itself."""
    texts = [t for t in texts if t.code or t.text]
    if len(texts) == 1:
        return texts[0]
    if not texts:
        return Text()
    return Text(code=LIST_CODE, params={"items": [t.stored() for t in texts]})


def as_text(value: Text | str) -> Text:
    """A handler's detail as a text: a plain string is taken as it is (no code)."""
    return value if isinstance(value, Text) else external(value)


__all__ = ["LIST_CODE", "MESSAGES", "Text", "as_text", "external", "joined", "messages_register", "render_text", "text"]
