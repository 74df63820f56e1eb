"""Binding settings and the funnel in the admin: each role sees and edits only what it may."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from binding.models import BindingSettings
from compliance.models import BrandLinkDomain
from portal.models import AuditEvent, Brand
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIST = "/admin/binding/bindingsettings/"
FUNNEL = f"{LIST}funnel/"


def login(client: Client, user: User) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def form(brand: Brand, page_url: str) -> dict[str, object]:
    return {
        "brand": brand.pk,
        "page_url_template": page_url,
        "link_valid_days": 7,
        "otp_template_code": "signup_otp",
        "welcome_template_code": "welcome_bind",
        "welcome_period_days": 30,
        "welcome_user_name": "朋友",
    }


def test_a_manager_configures_their_brands_binding_page_on_an_allowed_domain(
    client: Client, manager: User, brand: Brand
) -> None:
    BrandLinkDomain.objects.create(brand=brand, domain="acme.example")
    login(client, manager)

    refused = client.post(f"{LIST}add/", form(brand, "https://other.example/bind?t={token}"))
    saved = client.post(f"{LIST}add/", form(brand, "https://www.acme.example/bind?t={token}"))

    assert refused.status_code == 200
    assert "page_url_template" in refused.context["adminform"].form.errors
    assert saved.status_code == 302
    assert BindingSettings.objects.get(brand=brand).page_url("abc") == "https://www.acme.example/bind?t=abc"
    assert AuditEvent.objects.filter(action="binding_settings.created").exists()


def test_a_manager_cannot_see_or_configure_another_brand(client: Client, manager: User, other_brand: Brand) -> None:
    other = BindingSettings.objects.create(brand=other_brand, page_url_template="https://liff.line.me/1-x?t={token}")
    login(client, manager)

    assert client.get(f"{LIST}{other.pk}/change/").status_code == 302  # not found: back to the list
    response = client.post(f"{LIST}add/", form(other_brand, "https://liff.line.me/1-y?t={token}"))
    assert "brand" in response.context["adminform"].form.errors
    assert not BindingSettings.objects.filter(brand=other_brand).exclude(pk=other.pk).exists()


def test_the_funnel_shows_the_brands_each_role_may_see(
    client: Client, manager: User, reviewer: User, finance: User, brand: Brand, other_brand: Brand
) -> None:
    manager_page = login(client, manager).get(FUNNEL).content.decode()
    client.logout()
    reviewer_page = login(client, reviewer).get(FUNNEL).content.decode()
    client.logout()
    finance_answer = login(client, finance).get(FUNNEL)

    assert "binding-funnel" in manager_page and brand.name in manager_page
    assert other_brand.name not in manager_page
    assert brand.name in reviewer_page and other_brand.name in reviewer_page
    assert finance_answer.status_code == 403
