"""Reads about members: lookups scoped to a brand, consent state and reachability."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from members.choices import MOBILE_TYPES, Channel, ConsentPurpose
from members.models import Consent, LineLink, Member
from members.phones import pnp_country
from portal.choices import Role
from portal.models import Brand
from portal.selectors import brands_editable_by, user_roles


def member_get_for_brand(*, brand: Brand, external_id: str) -> Member | None:
    """Return the brand's member with this member number, erased or not, or ``None``."""
    return Member.objects.select_related("brand", "line_link").filter(brand=brand, external_id=external_id).first()


def consent_state_from_history(*, member: Member) -> dict[str, bool | None]:
    """Return each purpose's current state as the consent history says: latest by captured time."""
    state: dict[str, bool | None] = {}
    history = Consent.objects.filter(member=member).order_by("purpose", "-captured_at", "-id")
    for purpose, granted in history.values_list("purpose", "granted"):
        state.setdefault(purpose, granted)
    return {purpose: state.get(purpose) for purpose in ConsentPurpose.values}


@dataclass(frozen=True)
class Reachability:
    """Which channels can reach a member now and, for each closed one, why not."""

    open: tuple[str, ...]
    closed: dict[str, str] = field(default_factory=dict)

    def can(self, channel: str) -> bool:
        return channel in self.open


def _line_link(member: Member) -> LineLink | None:
    try:
        return member.line_link
    except LineLink.DoesNotExist:
        return None


def member_reachability(member: Member) -> Reachability:
    """Return the channels open for this member now, in the order they should be tried."""
    opened: list[str] = []
    closed: dict[str, str] = {}
    if member.is_erased or not member.phone_e164:
        reason = _("The member was erased.") if member.is_erased else _("No phone number.")
        return Reachability(open=(), closed={c: reason for c in Channel.values})

    link = _line_link(member)
    if link is None or not link.is_bound:
        closed[Channel.LINE_PUSH] = _("Phone number and LINE account are not bound.")
    elif not link.is_friend:
        closed[Channel.LINE_PUSH] = _("The member is not a friend of the LINE account.")
    elif link.is_blocked:
        closed[Channel.LINE_PUSH] = _("The member blocked the LINE account.")
    else:
        opened.append(Channel.LINE_PUSH)

    if not pnp_country(member.phone_e164):
        closed[Channel.PNP] = _("LINE offers PNP only for numbers of Taiwan, Japan and Thailand.")
    elif member.phone_type not in MOBILE_TYPES:
        closed[Channel.PNP] = _("Not a mobile number; only mobile numbers can match a LINE account.")
    elif member.pnp_consent is not True:
        closed[Channel.PNP] = (
            _("The member withdrew PNP consent.") if member.pnp_consent is False else _("No PNP consent recorded.")
        )
    elif member.needs_phone_confirmation:
        closed[Channel.PNP] = _(
            "LINE refused this number (HTTP 422): not on LINE, or PNP turned off by the user; "
            "confirm the phone number first."
        )
    elif link is not None and link.is_blocked:
        closed[Channel.PNP] = _("The member blocked the LINE account.")
    else:
        opened.append(Channel.PNP)

    if member.sms_consent is not True:
        closed[Channel.SMS] = (
            _("The member withdrew SMS consent.") if member.sms_consent is False else _("No SMS consent recorded.")
        )
    else:
        opened.append(Channel.SMS)
    return Reachability(open=tuple(opened), closed=closed)


def user_may_see_full_phone(user: Any, brand_id: int) -> bool:
    """Superusers and the brand's own account managers see full numbers; everyone else masked."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if Role.ACCOUNT_MANAGER not in user_roles(user):
        return False
    cache: dict[int, bool] = user.__dict__.setdefault("_full_phone_brands", {})
    if brand_id not in cache:
        cache[brand_id] = brands_editable_by(user).filter(pk=brand_id).exists()
    return cache[brand_id]


def members_to_confirm(*, members: QuerySet[Member]) -> QuerySet[Member]:
    """Return the members LINE refused a PNP to (HTTP 422), not erased: to ask for their number."""
    return members.filter(needs_phone_confirmation=True, erased_at__isnull=True)
