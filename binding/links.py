"""Bind links: signed, expiring tokens that lead a member (or a new friend) to the brand's binding page.

A token is ``<payload>:<timestamp>:<signature>`` (``django.core.signing.TimestampSigner``):

* ``m.<brand id>.<member id>.<nonce>`` — a member's link, sent by PNP or SMS: holding it proves
  the member received a message on their phone number.
* ``f.<brand id>.<LINE user id>.<nonce>`` — a follower's link, sent in the welcome message: it
  proves the LINE account, not the member, so binding with it also needs a one-time password.

The signature carries the issue time, so expiry needs no row; a used token is recorded
(:class:`binding.models.UsedBindToken`, by hash) so that it never binds twice. Issuing a
link writes nothing, which keeps a refused send free of half-written rows.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing
from django.utils.translation import gettext as _

from binding.choices import TokenKind
from binding.exceptions import BindingNotConfiguredError, TokenGoneError, TokenInvalidError
from binding.models import TOKEN_PLACEHOLDER, BindingSettings, UsedBindToken
from compliance.rules import LINE_LINK_DOMAINS, domain_allowed, host_of, is_shortener
from compliance.selectors import allowed_link_domains
from portal.models import Brand

BIND_LINK_VARIABLE = "bind_link"
SALT = "binding.bind-link"
UID_RE = re.compile(r"^U[0-9a-f]{32}$")


@dataclass(frozen=True)
class BindToken:
    """What a verified token says: its kind, brand, and the member or LINE user it names."""

    kind: str
    brand_id: int
    member_id: int | None
    uid: str
    token_hash: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def member_token_issue(*, brand_id: int, member_id: int) -> str:
    """Return a new bind token for a member (nothing is stored)."""
    return _signer().sign(f"m.{brand_id}.{member_id}.{secrets.token_urlsafe(6)}")


def follower_token_issue(*, brand_id: int, uid: str) -> str:
    """Return a new bind token for a LINE user who is not bound yet (nothing is stored)."""
    return _signer().sign(f"f.{brand_id}.{uid}.{secrets.token_urlsafe(6)}")


def token_verify(*, token: str, brand: Brand, valid_for: timedelta) -> BindToken:
    """Return what the token says; raise ``TokenInvalidError`` or ``TokenGoneError`` (expired, used)."""
    try:
        value = _signer().unsign(token.strip(), max_age=valid_for)
    except signing.SignatureExpired:
        raise TokenGoneError(used=False) from None
    except signing.BadSignature:
        raise TokenInvalidError() from None
    parts = value.split(".")
    if len(parts) != 4 or parts[0] not in ("m", "f") or parts[1] != str(brand.pk):
        raise TokenInvalidError()
    digest = token_hash(token.strip())
    if UsedBindToken.objects.filter(token_hash=digest).exists():
        raise TokenGoneError(used=True)
    if parts[0] == "m":
        return BindToken(TokenKind.MEMBER, brand.pk, int(parts[2]), "", digest)
    return BindToken(TokenKind.FOLLOWER, brand.pk, None, parts[2], digest)


def page_url_problem(*, brand: Brand, template: str) -> str | None:
    """Return why a binding page URL template cannot be used in messages, or None."""
    if template.count(TOKEN_PLACEHOLDER) != 1:
        return _("Put {token} exactly once in the URL, where the bind token goes.")
    if not template.lower().startswith("https://"):
        return _("Use an https:// URL.")
    host = host_of(template.replace(TOKEN_PLACEHOLDER, "x"))
    if not host or "{" in template.split("/")[2]:
        return _("The URL needs a fixed host name; {token} may only be in the path or the query.")
    if is_shortener(host):
        return _("Shortened links are not allowed: %(host)s") % {"host": host}
    if not domain_allowed(host, allowed_link_domains(brand) | LINE_LINK_DOMAINS):
        return _(
            "%(host)s is not on the brand's allowed link domains; add it under Compliance › Allowed link "
            "domains first, or use a LIFF URL (liff.line.me)."
        ) % {"host": host}
    return None


def settings_for(brand: Brand) -> BindingSettings | None:
    return BindingSettings.objects.filter(brand=brand).first()


def bind_link_for_member(*, brand: Brand, member_id: int) -> str:
    """Return a fresh bind link for the member; raise if the brand has no binding page."""
    binding = settings_for(brand)
    if binding is None:
        raise BindingNotConfiguredError(
            _("This template carries {bind_link}, but the brand has no binding page configured (Binding settings)."),
            field=f"variables.{BIND_LINK_VARIABLE}",
        )
    return binding.page_url(member_token_issue(brand_id=brand.pk, member_id=member_id))


def fill_bind_link(*, brand: Brand, version: Any, member: Any, variables: Mapping[str, Any]) -> Mapping[str, Any]:
    """Add a fresh ``bind_link`` for the member when the template declares it and the request left it out.

    Called by the send pipeline before the variables are checked, so the link goes through
    the same link rules (https, allowed domain, length) as any other URL variable.
    """
    declared = {variable.get("name") for variable in version.variables or []}
    if BIND_LINK_VARIABLE not in declared or variables.get(BIND_LINK_VARIABLE):
        return variables
    return {**variables, BIND_LINK_VARIABLE: bind_link_for_member(brand=brand, member_id=member.pk)}


def token_brand_id(token: str) -> int | None:
    """Return the brand a well-signed token was issued for (expiry and use are checked by ``token_verify``)."""
    try:
        value = _signer().unsign(token.strip())
    except signing.BadSignature:
        return None
    parts = value.split(".")
    return int(parts[1]) if len(parts) == 4 and parts[1].isdigit() else None
