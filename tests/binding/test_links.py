"""Bind links: filled into sends that declare {bind_link}, signed, expiring, on an allowed domain."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import signing

from binding.exceptions import BindingNotConfiguredError, TokenGoneError, TokenInvalidError
from binding.links import member_token_issue, page_url_problem, token_verify
from binding.models import BindingSettings
from compliance.models import BrandLinkDomain, TemplateVersion
from members.models import Member
from notifications.models import Notification
from notifications.services import SendRequest, notification_accept
from portal.models import Brand

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"https://liff\.line\.me/1650000000-bind\?token=(\S+)")


def invite(brand: Brand, member: Member, **variables: Any) -> Notification:
    return notification_accept(
        brand=brand,
        request=SendRequest(
            template="shipping_bind",
            member=member.external_id,
            variables={"order_id": "A1", "event_time": "2026-11-25 10:00", **variables},
        ),
    )


def test_a_send_whose_template_declares_bind_link_gets_a_fresh_link_to_the_brands_page(
    brand: Brand,
    binding_settings: BindingSettings,
    binding_templates: dict[str, TemplateVersion],
    make_member: Callable[..., Member],
) -> None:
    member = make_member("M1", "0912-345-678")

    first, second = invite(brand, member), invite(brand, member)

    link = first.variables["bind_link"]
    token = TOKEN_RE.fullmatch(link).group(1)  # type: ignore[union-attr]
    assert link in first.line_messages[0]["text"]
    assert link in first.sms_text
    assert second.variables["bind_link"] != link  # every message carries its own token
    assert token_verify(token=token, brand=brand, valid_for=timedelta(days=7)).member_id == member.pk


def test_a_bind_link_given_by_the_brand_is_kept_and_checked_like_any_url(
    brand: Brand,
    binding_settings: BindingSettings,
    binding_templates: dict[str, TemplateVersion],
    make_member: Callable[..., Member],
) -> None:
    member = make_member("M1", "0912-345-678")

    notification = invite(brand, member, bind_link="https://acme.example/bind?m=1")

    assert notification.variables["bind_link"] == "https://acme.example/bind?m=1"
    with pytest.raises(Exception, match="allow-list") as refused:
        invite(brand, member, bind_link="https://evil.example/bind")
    assert refused.value.field == "variables.bind_link"  # type: ignore[attr-defined]


def test_a_template_with_bind_link_is_refused_for_a_brand_without_a_binding_page(
    brand: Brand, binding_templates: dict[str, TemplateVersion], make_member: Callable[..., Member]
) -> None:
    member = make_member("M1", "0912-345-678")

    with pytest.raises(BindingNotConfiguredError) as refused:
        invite(brand, member)

    assert refused.value.field == "variables.bind_link"
    assert not Notification.objects.exists()


def test_a_binding_page_must_carry_the_token_on_an_allowed_https_domain(brand: Brand) -> None:
    BrandLinkDomain.objects.create(brand=brand, domain="acme.example")

    assert page_url_problem(brand=brand, template="https://liff.line.me/1650000000-x?t={token}") is None
    assert page_url_problem(brand=brand, template="https://www.acme.example/bind/{token}") is None
    assert "exactly once" in str(page_url_problem(brand=brand, template="https://acme.example/bind"))
    assert "https" in str(page_url_problem(brand=brand, template="http://acme.example/bind?t={token}"))
    assert "allowed link domains" in str(page_url_problem(brand=brand, template="https://x.example/?t={token}"))
    assert "fixed host" in str(page_url_problem(brand=brand, template="https://{token}.acme.example/"))


def test_binding_settings_refuse_a_page_outside_the_allow_list(brand: Brand) -> None:
    binding = BindingSettings(brand=brand, page_url_template="https://elsewhere.example/?t={token}")

    with pytest.raises(Exception, match="allowed link domains") as refused:
        binding.full_clean()

    assert "page_url_template" in refused.value.message_dict  # type: ignore[attr-defined]


def test_a_token_expires_and_cannot_be_forged_or_moved_to_another_brand(
    brand: Brand, other_brand: Brand, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = member_token_issue(brand_id=brand.pk, member_id=1)
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: time.time() - 8 * 86400))
    old = member_token_issue(brand_id=brand.pk, member_id=1)
    monkeypatch.undo()

    assert token_verify(token=fresh, brand=brand, valid_for=timedelta(days=7)).member_id == 1
    with pytest.raises(TokenGoneError) as gone:
        token_verify(token=old, brand=brand, valid_for=timedelta(days=7))
    assert gone.value.code == "token_expired"
    with pytest.raises(TokenInvalidError):
        token_verify(token=fresh[:-2] + "xx", brand=brand, valid_for=timedelta(days=7))
    with pytest.raises(TokenInvalidError):
        token_verify(token=fresh, brand=other_brand, valid_for=timedelta(days=7))
