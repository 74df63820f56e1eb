"""Which channels a notification goes out on, in order: one rule table, tested as a table.

* A friend whose phone number is bound to their LINE account, who has not blocked the OA,
  gets a LINE push — never a PNP (PNP-only paths are for non-friends).
* Otherwise a notice that may take a day or more goes by PNP, when the member has a mobile
  number and PNP consent, with SMS after it if the member consented to SMS.
* A notice that must arrive within an hour or five minutes, or that PNP cannot carry, goes by SMS.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.utils.translation import gettext as _

from notifications.choices import Channel

SLOW_URGENCIES = frozenset({"more_than_a_day", "a_day"})


@dataclass(frozen=True)
class ChannelPlan:
    channels: tuple[str, ...]
    reasons: dict[str, str]

    @property
    def possible(self) -> bool:
        return bool(self.channels)


def plan_channels(
    *, open_channels: Collection[str], closed_reasons: dict[str, str], template_channels: Collection[str], urgency: str
) -> ChannelPlan:
    """Return the channels to try in order, and why each other channel is not used."""
    reasons = dict(closed_reasons)
    sms_possible = Channel.SMS in open_channels and Channel.SMS in template_channels
    if Channel.SMS in open_channels and Channel.SMS not in template_channels:
        reasons[Channel.SMS] = _("The template has no SMS variant.")
    fallback = (Channel.SMS,) if sms_possible else ()

    if Channel.LINE_PUSH in open_channels:
        reasons[Channel.PNP] = _("The member is a bound friend: LINE push is used, never PNP.")
        if Channel.LINE_PUSH in template_channels:
            return ChannelPlan((Channel.LINE_PUSH, *fallback), reasons)
        reasons[Channel.LINE_PUSH] = _("The template is not approved for LINE push.")
        return ChannelPlan(fallback, reasons)

    if Channel.PNP in open_channels:
        if urgency not in SLOW_URGENCIES:
            reasons[Channel.PNP] = _("Too urgent for PNP: LINE may take up to 24 hours to deliver or report.")
        elif Channel.PNP not in template_channels:
            reasons[Channel.PNP] = _("The template is not approved for PNP.")
        else:
            return ChannelPlan((Channel.PNP, *fallback), reasons)
    return ChannelPlan(fallback, reasons)
